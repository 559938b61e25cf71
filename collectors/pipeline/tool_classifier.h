#pragma once
// Which tool an exec in a sandbox ran, from the command the engine reports in `exec_create: <cmd>`.

#include <string_view>

#include "model/events_view.h"

namespace evonic::collectors {

/// `bash ...` -> bash; `python3 ...` or `python ...` -> python (Evonic's runpy tool, and also its
/// helper discovery call, which is `python3 -` too); anything else -> other. The program may be
/// given by path (`/usr/bin/bash -s`). Pure; thread-safe.
model::Tool ClassifyTool(std::string_view command);

}  // namespace evonic::collectors
