"""The backend service: `filmcomposer serve`, `filmcomposer worker` and the `filmcomposer request` bridge.

protocol (messages, versions, caps) -> transfer (checksummed chunks) -> broker (clients and workers)
and worker (runs the pipeline in a killable child); client is the bridge's side, local starts a
backend on demand, auth holds the CurveZMQ keys.
"""
