"""One module per resource; each exposes ``router(runtime) -> APIRouter``, mounted by ``api.app``."""
