"""User pools, apps and their social connections: which app a request is for."""
from __future__ import annotations

from typing import Any, Dict, List, Optional

from . import errors as E
from .caller import Caller
from .errors import AuthingError, bad_request
from .models import CONNECTION_TYPE
from .repo import AuthingRepository, Record


class Apps:
    def __init__(self, repo: AuthingRepository):
        self.repo = repo

    def pools(self) -> List[Record]:
        return self.repo.pools()

    def apps(self) -> List[Record]:
        return self.repo.apps()

    def connections(self) -> List[Record]:
        return self.repo.connections()

    def find(self, app_id: Any) -> Optional[Record]:
        return self.repo.app(app_id)

    def first_of_pool(self, pool_id: str) -> Optional[Record]:
        return next((app for app in self.repo.apps() if app["userPoolId"] == pool_id), None)

    def app_for(self, caller: Caller) -> Record:
        """The app a request is for: its app id, else the first app of its user pool."""
        if caller.app_id:
            app = self.repo.app(caller.app_id)
            if app is None:
                raise AuthingError(E.APP_NOT_FOUND, "应用不存在")
            if caller.pool_id and caller.pool_id != app["userPoolId"]:
                raise AuthingError(E.APP_NOT_FOUND, "应用不属于此用户池")
            return app
        if caller.pool_id:
            if self.repo.pool(caller.pool_id) is None:
                raise AuthingError(E.POOL_NOT_FOUND, "用户池不存在")
            app = self.first_of_pool(caller.pool_id)
            if app is not None:
                return app
        raise AuthingError(E.APP_NOT_FOUND, "应用不存在：请提供应用 ID（x-authing-app-id）")

    def v3_client(self, caller: Caller, body: Dict[str, Any]) -> Record:
        """The app of a v3 sign-in: its app id, or the body's ``client_id`` (which must name the same
        app); a ``client_secret``, when given, must be its secret (1001)."""
        client_id = body.get("client_id")
        if client_id is not None and not isinstance(client_id, str):
            raise bad_request("client_id 必须是字符串")
        app = self.app_for(caller if caller.app_id else caller._replace(app_id=client_id))
        if client_id is not None and client_id != app["id"]:
            raise bad_request("client_id 与应用不匹配")
        secret = body.get("client_secret")
        if secret is not None and secret != app["secret"]:
            raise AuthingError(E.NO_PERMISSION, "client_secret 不正确")
        return app

    def pool_for(self, caller: Caller) -> str:
        """The id of the user pool a request is for: the one it names, else its app's."""
        pool_id = caller.pool_id or self.app_for(caller)["userPoolId"]
        if self.repo.pool(pool_id) is None:
            raise AuthingError(E.POOL_NOT_FOUND, "用户池不存在")
        return pool_id

    def connection(self, app: Record, identifier: Optional[str] = None) -> Record:
        """The WeChat mini-program connection ``identifier`` names, else the app's own."""
        name = identifier if identifier is not None else app.get("connection")
        conn = self.repo.connection(app["userPoolId"], name)
        if conn is None or conn["type"] != CONNECTION_TYPE:
            if identifier is not None:
                raise bad_request(f"身份源连接 {identifier!r} 不存在")
            raise bad_request("应用未配置微信小程序身份源")
        return conn
