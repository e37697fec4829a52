"""Dependencies written for Python 3.14: PEP 758 except clauses, PEP 695 aliases, PEP 701/750 strings."""

from typing import Annotated

from fastapi import Depends, FastAPI, Header, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

app = FastAPI()

type TokenHeader = Annotated[str, Header(alias="X-Token")]
type Pair[K, V] = tuple[K, V]


def get_settings() -> dict[str, str]:
    return {"mode": "dev"}


async def verify_token(x_token: TokenHeader, request: Request) -> str:
    try:
        value = int(x_token)
    except ValueError, TypeError:
        raise HTTPException(status_code=status.HTTP_403_FORBIDDEN, detail=f"bad token {x_token!r} for {request.url.path}")
    return f"{request.headers["user-agent"]}:{value}"


def first[T](items: list[T], request: Request) -> T:
    request.state.first = items[0]
    return items[0]


class Page[T](JSONResponse):
    media_type = "application/json"

    def render[U](self, content: U) -> bytes:
        return super().render(content)


@app.get("/items/{item_id}", status_code=status.HTTP_200_OK, response_class=Page)
async def read_item(item_id: int, token: Annotated[str, Depends(verify_token)], settings: Annotated[dict, Depends(get_settings)]):
    label = f"{settings["mode"]}-{f"{item_id:>{len(token)}}"}"
    audit = t"read {item_id} by {token}"
    message = f"""{
        label  # the label
        .upper()
    }"""
    return {"label": label, "audit": str(audit), "message": message}


@app.exception_handler(RequestValidationError)
async def on_invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
    try:
        body = await request.body()
    except* ValueError, KeyError:
        body = b""
    return JSONResponse(status_code=status.HTTP_422_UNPROCESSABLE_ENTITY, content={"detail": exc.errors(), "body": body.decode()})
