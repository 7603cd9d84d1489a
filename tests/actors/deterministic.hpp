#pragma once
// What every actor test shares: an actor system on CAF's deterministic scheduler (time moves only
// when a test moves it), strict mocks that fail the test on any message they do not expect, and
// requests run to completion.
#include <chrono>
#include <memory>
#include <string>
#include <utility>

#include <caf/all.hpp>
#include <gtest/gtest.h>

#include "tests/status_words.hpp"

#include "messages/atoms.hpp"
#include "messages/health.hpp"
#include "messages/messages.hpp"
#include "messages/requests.hpp"

namespace gp::test {

/// What DDH's client asks for in these tests: a vector version v1 of dataset d, resource
/// `resource_id`, from `source`.
inline gp::request_spec sample_spec(const std::string& resource_id,
                                    const std::string& source = "a.gpkg") {
  gp::request_spec s;
  s.client_id = "ddh";
  s.dataset_id = "d";
  s.resource_id = resource_id;
  s.version_id = "v1";
  s.request_type = "vector";
  s.source_path = source;
  return s;
}

/// Makes `self` a strict mock: a message its behaviour does not handle fails the test (and is
/// answered unexpected_message).
inline void fail_on_unexpected(caf::scheduled_actor* self, std::string who) {
  self->set_default_handler(
    [who](caf::scheduled_actor*, caf::message_view& x) -> caf::result<caf::message> {
      ADD_FAILURE() << "unexpected message to " << who << ": " << caf::to_string(x.content());
      return caf::sec::unexpected_message;
    });
}

/// A test with an actor system on the deterministic scheduler.
struct deterministic : ::testing::Test {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  caf::scheduler::test_coordinator* sched = nullptr;

  deterministic() {
    gp::register_message_types(cfg);
    cfg.set("scheduler.policy", caf::atom("testing"));
    sys = std::make_unique<caf::actor_system>(cfg);
    sched = &dynamic_cast<caf::scheduler::test_coordinator&>(sys->scheduler());
  }

  /// Runs every message that is due.
  void run() { sched->run(); }

  /// Moves the clock on by `t`, then runs what became due.
  void after(std::chrono::milliseconds t) {
    sched->advance_time(t);
    sched->run();
  }

  /// Sends a request to `to` and runs it to its answer: the `T` it replies, or the error.
  template <class T, class Handle, class... Ts>
  caf::expected<T> ask(const Handle& to, Ts&&... xs) {
    caf::scoped_actor self{*sys, true};
    caf::expected<T> out{caf::error{}};
    auto rh = self->request(to, caf::infinite, std::forward<Ts>(xs)...);
    sched->run();
    rh.receive([&](T& x) { out = std::move(x); }, [&](caf::error& e) { out = std::move(e); });
    return out;
  }

  /// The status report of `of` (a failed request fails the test).
  template <class Handle>
  gp::status_report status_of(const Handle& of) {
    auto r = ask<gp::status_report>(of, gp::status_atom_v);
    EXPECT_TRUE(r) << sys->render(r.error());
    return r ? std::move(*r) : gp::status_report{};
  }
};

}  // namespace gp::test
