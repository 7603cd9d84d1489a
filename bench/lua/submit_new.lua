-- POST /platform/submit with a new identity on every call (per-thread resource, counting version).
-- Environment: GP_KEY (internal key), GP_SOURCE (a file in the client's bronze folder).
local counter = 0
local threads = 0
local key = os.getenv("GP_KEY")
local source = os.getenv("GP_SOURCE") or "bench.csv"
local prefix = os.getenv("GP_PREFIX") or "n"

function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

function init(args)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["X-Platform-API-Key"] = key
end

function request()
  counter = counter + 1
  local body = string.format(
    '{"dataset_id":"bench","resource_id":"%s%d","version_id":"v%d","request_type":"vector","source_path":"%s"}',
    prefix, tid, counter, source)
  return wrk.format(nil, "/platform/submit", nil, body)
end

local statuses = {}
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  io.stderr:write(string.format("non-2xx responses: %d\n", summary.errors.status))
end
