-- wrk: GET /cas/<hash> of blobs the server holds, a random one per request (HASHES: one hash a line). The requests
-- are formatted once, up front: formatting one per request costs wrk's single thread more than the server's work.
-- (In init: only then does wrk.format know the Host header.)
local requests = {}
init = function()
  for line in io.lines(os.getenv("HASHES")) do requests[#requests + 1] = wrk.format("GET", "/cas/" .. line) end
end
request = function() return requests[math.random(#requests)] end
