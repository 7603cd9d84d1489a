-- POST the body in the file GP_BODY with the headers a webhook delivery carries (the baseline of
-- bench/webhooks.sh: the same payload to the same receiver, without the platform).
function init(args)
  local f = assert(io.open(os.getenv("GP_BODY"), "rb"))
  wrk.body = f:read("*a")
  f:close()
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["User-Agent"] = "geoplatform-webhooks/bench"
  wrk.headers["webhook-id"] = "msg_0123456789abcdef0123456789abcdef"
  wrk.headers["webhook-timestamp"] = "1800000000"
  wrk.headers["webhook-signature"] = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
  wrk.headers["X-Platform-Signature"] = "sha256=6f5cd4b7c5ad5a0b9a3d0f5b9e1b0c4e6a1f8e7d2c3b4a5968778695a4b3c2d1"
  wrk.headers["X-Platform-Event"] = "platform.request.completed"
end
