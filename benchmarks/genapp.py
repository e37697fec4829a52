"""Generate realistic FastAPI modules of any size (for benchmarks, soak and fuzz tests)."""

from __future__ import annotations

import random

HEADER = '''"""Generated FastAPI service module {index}."""
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Body, Cookie, Depends, FastAPI, Header, HTTPException, Path, Query, Request, status
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, PlainTextResponse
from fastapi.security import OAuth2PasswordBearer
from pydantic import BaseModel

app = FastAPI(title="Service {index}", version="1.0.0")
app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["*"])
router = APIRouter(prefix="/v{index}", tags=["service-{index}"])
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="token")


def get_db():
    db = {{}}
    try:
        yield db
    finally:
        db.clear()


DbDep = Annotated[dict, Depends(get_db)]
TokenDep = Annotated[str, Depends(oauth2_scheme)]
'''

BLOCK = '''

class Item{n}(BaseModel):
    name: str
    price: float = {price}
    tags: list[str] = []


@router.get("/items{n}/{{item_id}}", response_model=Item{n}, status_code=status.HTTP_200_OK)
async def read_item_{n}(
    item_id: Annotated[int, Path(ge=1, title="Item id")],
    db: DbDep,
    q: Annotated[str | None, Query(max_length={maxlen}, pattern="^[a-z]+$")] = None,
    user_agent: Annotated[str | None, Header()] = None,
):
    if item_id not in db:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="Item {n} not found")
    return db[item_id]


@router.post("/items{n}/", status_code=status.HTTP_201_CREATED, response_class=JSONResponse)
async def create_item_{n}(item: Annotated[Item{n}, Body(embed=True)], token: TokenDep, background_tasks: BackgroundTasks, request: Request):
    background_tasks.add_task(print, item.name)
    return JSONResponse(content={{"url": str(request.url_for("read_item_{n}", item_id=1))}}, status_code=status.HTTP_201_CREATED)


@router.delete("/items{n}/{{item_id}}", status_code=status.HTTP_204_NO_CONTENT)
def delete_item_{n}(item_id: int, session: Annotated[str | None, Cookie()] = None) -> None:
    return None
'''

FOOTER = '''

app.include_router(router)


@app.get("/health", response_class=PlainTextResponse)
def health():
    return "ok"
'''


def generate(lines: int = 5000, index: int = 0, seed: int = 0) -> str:
    rnd = random.Random(seed + index)
    parts = [HEADER.format(index=index)]
    count = len(parts[0].splitlines())
    n = 0
    while count < lines - len(FOOTER.splitlines()):
        block = BLOCK.format(n=n, price=round(rnd.uniform(1, 100), 2), maxlen=rnd.randint(5, 80))
        parts.append(block)
        count += len(block.splitlines())
        n += 1
    parts.append(FOOTER)
    return "".join(parts)


if __name__ == "__main__":
    import sys

    print(generate(int(sys.argv[1]) if len(sys.argv) > 1 else 5000))
