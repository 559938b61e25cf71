// The events side under concurrency (run under ThreadSanitizer in CI): a stats thread and an
// events thread publish through one SnapshotComposer while readers take the latest snapshot; a
// reader thread fills a StreamQueue while a processor drains it. Every published snapshot must be
// consistent (a destroyed sandbox never comes back once its destroy was published) and nothing
// may race.

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "collectors/pipeline/event_stream.h"
#include "collectors/pipeline/snapshot_composer.h"
#include "model/latest.h"

namespace evonic::collectors {
namespace {

TEST(EventsConcurrency, ComposerUnderTwoProducersAndReaders) {
  model::Latest<model::Snapshot> latest(std::make_shared<model::Snapshot>());
  model::SystemClock clock;
  SnapshotComposer composer(std::make_shared<model::Snapshot>(), clock,
                            [&](std::shared_ptr<const model::Snapshot> s, SnapshotComposer::Cause) {
                              latest.Publish(s);
                            });
  std::atomic<bool> destroyed_published{false}, stop{false}, resurrected{false};
  model::Sandbox doomed;
  doomed.container_id = "doomed";
  doomed.agent_id = "a";
  doomed.session_id = "a-1";
  std::thread stats([&] {
    for (int i = 0; i < 2000; ++i) {
      auto s = std::make_shared<model::Snapshot>();
      s->sandboxes.push_back(doomed);  // a cycle in flight that still lists it
      s->status.docker_up = true;
      composer.OnStats(s);
    }
  });
  std::thread events([&] {
    for (int i = 0; i < 2000; ++i) {
      EventsUpdate u;
      auto view = std::make_shared<model::EventsView>();
      view->agents["a"].tools[0].runs = i;
      u.view = view;
      if (i == 1000) u.destroyed.push_back("doomed");
      composer.OnEvents(u);
      if (i == 1000) destroyed_published = true;
    }
  });
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&] {
      std::uint64_t last = 0;
      while (!stop) {
        const bool after = destroyed_published.load();
        auto s = latest.Get();
        EXPECT_GE(s->generation, last);
        last = s->generation;
        if (after) {
          for (const auto& b : s->sandboxes)
            resurrected = resurrected || b.container_id == "doomed";
        }
      }
    });
  }
  stats.join();
  events.join();
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_FALSE(resurrected.load());
  ASSERT_TRUE(latest.Get()->events);
  EXPECT_EQ(latest.Get()->events->agents.at("a").tools[0].runs, 1999);
}

TEST(EventsConcurrency, StreamQueueKeepsOrderAndCountsDrops) {
  StreamQueue queue(1000);
  constexpr int kLines = 200000;
  std::thread reader([&] {
    for (int i = 0; i < kLines; ++i) {
      queue.Push({StreamItem::Kind::kLine, std::to_string(i), nullptr});
    }
    queue.Push({StreamItem::Kind::kDisconnected, "end", nullptr});  // never dropped
  });
  int last = -1, received = 0;
  for (;;) {
    auto item = queue.Pop(std::chrono::steady_clock::now() + std::chrono::seconds(10));
    ASSERT_TRUE(item.has_value());
    if (item->kind == StreamItem::Kind::kDisconnected) break;
    const int n = std::stoi(item->text);
    EXPECT_GT(n, last);
    last = n;
    ++received;
  }
  reader.join();
  EXPECT_EQ(static_cast<std::uint64_t>(received) + queue.dropped(),
            static_cast<std::uint64_t>(kLines));
}

}  // namespace
}  // namespace evonic::collectors
