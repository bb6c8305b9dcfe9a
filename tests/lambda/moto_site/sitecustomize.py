# Imported by moto_server's Python at start-up (PYTHONPATH points at a copy of this directory):
# serializes moto's requests. moto 5 evaluates a DynamoDB condition expression and then stores
# the item as two steps, without a lock, in a threaded server: 2 of 20 racing conditional
# PutItems both passed in about one run of 15. Real DynamoDB applies each conditional write
# atomically; one request at a time gives moto that property (each request is handled whole
# inside the WSGI call), so a race test against moto tests the ledger, not moto.
#
# Used by lambda/tests/dynamodb_ledger.rs (include_str!) and tests/lambda/conftest.py.
import os, threading
from moto.moto_server.werkzeug_app import DomainDispatcherApplication

_lock = threading.Lock()
_call = DomainDispatcherApplication.__call__

def _serialized(self, environ, start_response):
    with _lock:
        return _call(self, environ, start_response)

DomainDispatcherApplication.__call__ = _serialized
# Proof it was imported, for the harnesses to check.
open(os.path.join(os.path.dirname(__file__), "serialized"), "w").close()
