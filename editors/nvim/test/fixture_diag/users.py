from fastapi import FastAPI

app = FastAPI()


@app.on_event("startup")
async def open_users_store():
    app.state.users = {}


@app.get("/users")
async def list_users():
    return list(app.state.users)
