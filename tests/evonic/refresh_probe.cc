// A reader process for the writer test: calls EvonicDatabase::Refresh() when asked on stdin.
//   refresh <session_id>   ->  "refreshed db_up=<0|1> agents=<n> sessions=<n> found=<0|1>"
//   quit                   ->  exits
// Prints session ids only (not personal data), never external user ids. Logs go to stderr.

#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>

#include "collectors/evonic/evonic_database.h"
#include "logging/logger.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: evonic_refresh_probe <evonic root>\n";
    return 2;
  }
  evonic::logging::Logger logger(evonic::logging::Level::kInfo, evonic::logging::Format::kLogfmt);
  const char* max_containers = std::getenv("SANDBOX_MAX_CONTAINERS");
  evonic::model::SystemClock clock;
  evonic::collectors::EvonicDatabase database(
      argv[1], logger, clock,
      max_containers ? std::optional<std::string>(max_containers) : std::nullopt);
  std::string command;
  while (std::cin >> command) {
    if (command == "quit") break;
    if (command != "refresh") {
      std::cout << "error unknown command" << std::endl;
      continue;
    }
    std::string session_id;
    std::cin >> session_id;
    const auto view = database.Refresh();
    std::cout << "refreshed db_up=" << (view->db_up ? 1 : 0) << " agents=" << view->agents.size()
              << " sessions=" << view->sessions.size()
              << " found=" << (view->sessions.count(session_id) ? 1 : 0) << std::endl;
  }
  return 0;
}
