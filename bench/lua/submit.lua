-- POST /platform/submit. Without GP_REPEAT every call is a new identity (per-thread resource
-- <prefix><thread>, counting version); with GP_REPEAT=n the calls cycle over versions 1..n of the
-- same resources, i.e. identical resubmissions of requests an earlier run created.
-- Environment: GP_KEY (internal key), GP_SOURCE (a file in the client's bronze folder),
-- GP_PREFIX (resource prefix, default "n").
local counter = 0
local threads = 0
local key = os.getenv("GP_KEY")
local source = os.getenv("GP_SOURCE") or "bench.csv"
local prefix = os.getenv("GP_PREFIX") or "n"
local span = tonumber(os.getenv("GP_REPEAT") or "0")

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
  if span > 0 then
    counter = counter % span + 1
  else
    counter = counter + 1
  end
  local body = string.format(
    '{"dataset_id":"bench","resource_id":"%s%d","version_id":"v%d","request_type":"vector","source_path":"%s"}',
    prefix, tid, counter, source)
  return wrk.format(nil, "/platform/submit", nil, body)
end
