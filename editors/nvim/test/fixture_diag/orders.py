from fastapi import FastAPI

app = FastAPI()


@app.on_event("startup")
async def open_orders_store():
    app.state.orders = {}


@app.get("/orders")
async def list_orders():
    return list(app.state.orders)
