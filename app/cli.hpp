#pragma once
// The geoplatform command line: serve, migrate, clients, keys, config, version.

namespace gp::app {

/// Parses the command line, runs the chosen command and returns the process exit code
/// (0 success, 1 failure with a one-line reason on stderr, 2 usage error).
int run_cli(int argc, char** argv);

}  // namespace gp::app
