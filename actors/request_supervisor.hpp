#pragma once
// The request supervisor: starts request actors and watches them. One that dies abnormally is
// restarted from its row's last snapshot after a growing pause; more than `max_restarts` within
// `restart_window` fails the request with a clear error instead of looping.
#include <chrono>
#include <functional>
#include <memory>

#include <caf/fwd.hpp>

#include "actors/request.hpp"

namespace gp {

struct supervisor_options {
  int max_restarts = 5;
  std::chrono::milliseconds restart_window{60000};
  /// First pause before a restart; doubles with each restart in the window.
  std::chrono::milliseconds restart_backoff{200};
  /// Tests only: the registry hears of started and stopped actors this much later (still in the
  /// order they happened), which widens the window between an actor's start and its report.
  std::chrono::milliseconds report_delay{0};
  /// Makes a request's actor from its row (`fresh`: a request just inserted, with the jobs its
  /// snapshot names). Empty: spawn_request. Tests put mock actors in its place.
  std::function<request_actor(caf::actor_system&, std::shared_ptr<const request_options>,
                              fresh_request, bool fresh)>
    make_actor;
};

/// Spawns the supervisor. Request actors get `opts`; the registry hears of every (re)start
/// (started_atom) and of every actor that stopped (stopped_atom).
request_supervisor_actor spawn_request_supervisor(caf::actor_system& sys,
                                                  std::shared_ptr<const request_options> opts,
                                                  supervisor_options sup);

}  // namespace gp
