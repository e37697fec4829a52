"""Routers built for Python 3.13+: PEP 695 generics, a router class factory, class aliases."""

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter as BaseRouter
from fastapi import Depends, FastAPI, Query, Request, Response, status
from fastapi.routing import APIRoute

type Handler[**P] = Callable[P, Any]
type Limit = Annotated[int, Query(ge=1, le=100)]


class TimedRoute(APIRoute):
    def get_route_handler(self) -> Callable:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            response: Response = await original(request)
            response.headers["X-Route"] = f"{self.path!r:>{len(self.name)}}"
            return response

        return handler


def make_router_class[R: APIRoute](route_class: type[R]) -> type[BaseRouter]:
    class Router(BaseRouter):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(route_class=route_class, **kwargs)

    return Router


APIRouter = make_router_class(TimedRoute)
Router = APIRouter
router = Router(prefix="/things", tags=["things"])


class Page[T]:
    def __init__(self, items: list[T], total: int) -> None:
        self.items = items
        self.total = total


def paginate[T](items: list[T], limit: int) -> Page[T]:
    return Page(items[:limit], len(items))


async def common(request: Request, limit: Limit = 10) -> dict[str, int]:
    return {"limit": limit, "len": len(request.query_params)}


CommonDep = Annotated[dict[str, int], Depends(common)]
guard = Depends(common)


@router.get("/", status_code=status.HTTP_200_OK, dependencies=[guard])
async def list_things(params: CommonDep, request: Request) -> dict[str, Any]:
    page = paginate(list(range(100)), params["limit"])
    return {"items": page.items, "url": f"{request.url_for("list_things")}"}


@router.delete("/{thing_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_thing(thing_id: int) -> None:
    try:
        del thing_id
    except KeyError, IndexError:
        pass


app = FastAPI()
app.include_router(router)
for route in app.routes:
    route.url_path_for
first_route = router.routes[0]
