-- GET /platform/status/<id> over the request ids listed in the file GP_IDS (one per line).
local ids = {}
local i = 0
local key = os.getenv("GP_KEY")

function init(args)
  for line in io.lines(os.getenv("GP_IDS")) do
    ids[#ids + 1] = line
  end
  wrk.headers["X-Platform-API-Key"] = key
end

function request()
  i = i % #ids + 1
  return wrk.format("GET", "/platform/status/" .. ids[i])
end
