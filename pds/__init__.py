"""A client of the public-data sandbox's REST API, and its command line ``pds``.

Importable from Python and notebooks; it talks HTTP only and imports nothing of the
platform's Django code::

    from pds import Client
    client = Client.from_config()  # the token `pds login` stored
    for scenario in client.scenarios():
        print(scenario["id"], scenario["name"])
"""

from pds.client import Client, PdsError

__all__ = ["Client", "PdsError"]
