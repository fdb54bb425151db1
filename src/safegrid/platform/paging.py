"""Page requests and pages of results, shared by every list endpoint."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel, Field

T = TypeVar("T")

MAX_PAGE_SIZE = 200


class PageQuery(BaseModel):
    page: int = Field(1, ge=1)
    size: int = Field(20, ge=1, le=MAX_PAGE_SIZE)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    page: int
    size: int

    @property
    def pages(self) -> int:
        return max((self.total + self.size - 1) // self.size, 1)


def query_paging(
    page: int = Query(1, ge=1), size: int = Query(20, ge=1, le=MAX_PAGE_SIZE)
) -> PageQuery:
    """The ``?page=&size=`` query parameters of every API list route."""
    return PageQuery(page=page, size=size)


Paging = Annotated[PageQuery, Depends(query_paging)]
