"""Files made from figures and tickets: chart images, PDFs and Excel workbooks.

Rendering is slow next to a chat reply, so it runs in the outbox worker, the CLI and the API,
never on a platform callback.
"""
