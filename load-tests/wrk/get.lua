-- wrk: GET /cas/<hash> of blobs the server holds, a random one per request (HASHES: one hash a line).
local paths = {}
for line in io.lines(os.getenv("HASHES")) do paths[#paths + 1] = "/cas/" .. line end
request = function() return wrk.format("GET", paths[math.random(#paths)]) end
