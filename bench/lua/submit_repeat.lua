-- POST /platform/submit repeating identities that submit_new.lua created (versions 1..GP_REPEAT
-- of resources <prefix>1 and <prefix>2): every answer is a 200 from the registry's memory.
local counter = 0
local threads = 0
local key = os.getenv("GP_KEY")
local source = os.getenv("GP_SOURCE") or "bench.csv"
local prefix = os.getenv("GP_PREFIX") or "n"
local span = tonumber(os.getenv("GP_REPEAT") or "500")

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
  counter = counter % span + 1
  local body = string.format(
    '{"dataset_id":"bench","resource_id":"%s%d","version_id":"v%d","request_type":"vector","source_path":"%s"}',
    prefix, tid, counter, source)
  return wrk.format(nil, "/platform/submit", nil, body)
end
