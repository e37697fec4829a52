from fastapi import FastAPI

app = FastAPI()


@app.on_event("startup")
async def open_items_store():
    app.state.items = {}


@app.get("/items")
async def list_items():
    return list(app.state.items)
