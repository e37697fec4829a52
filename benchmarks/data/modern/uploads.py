"""Uploads for Python 3.14: t-strings, models with FastAPI-typed fields, except* and PEP 758."""

from dataclasses import dataclass

from fastapi import BackgroundTasks, FastAPI, File, HTTPException, Request, UploadFile, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel

app = FastAPI(title="uploads")


class Batch(BaseModel):
    upload: UploadFile
    extra: list[UploadFile] = []
    note: str = ""


@dataclass
class Ctx:
    request: Request
    tasks: BackgroundTasks


class ServiceApp(FastAPI):
    def __init__(self, *, bucket: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.bucket = bucket


service = ServiceApp(bucket="b", title="service", docs_url=None)


def log_line(name: str, size: int) -> str:
    template = t"{name}: {size:>{10}} bytes"
    return str(template)


@app.post("/batch", status_code=status.HTTP_201_CREATED)
async def upload_batch(batch: Batch, request: Request, tasks: BackgroundTasks, file: UploadFile = File(...)):
    ctx = Ctx(request=request, tasks=tasks)
    data = await batch.upload.read()
    for extra in batch.extra:
        await extra.close()
    try:
        await file.seek(0)
    except* ValueError, OSError:
        raise HTTPException(status_code=status.HTTP_400_BAD_REQUEST, detail=f"{file.filename!r}")
    ctx.tasks.add_task(log_line, batch.upload.filename or "", len(data))
    ctx.request.url.path
    return JSONResponse({"size": len(data), "line": f"{"-" * 10}{batch.note}"}, status_code=status.HTTP_201_CREATED)
