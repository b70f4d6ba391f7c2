"""The backend service: `filmcomposer serve`, `filmcomposer worker` and the `filmcomposer request` bridge.

protocol (messages, versions, caps) -> transfer (checksummed chunks, manifests) -> broker (the
sockets and rules of `serve`) over jobs (its tables of jobs and workers), settings and
local_workers; worker (talks to a broker) over runner (the killable job process that runs score and
reroll); client is the bridge's side, local starts a backend on demand, auth holds the CurveZMQ keys.
"""
