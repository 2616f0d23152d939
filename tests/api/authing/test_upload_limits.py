"""Uploads are capped: a file over 5 MB gets code 413, and past 100 files or 64 MB kept a new upload
gets code 400 until a reset, in Authing's v2 envelope, changing nothing."""
from __future__ import annotations

import io
import threading

from mockserver import Config, create_app
from mockserver.authing import files
from mockserver.authing.files import MAX_FILE_BYTES, MAX_FILES, MAX_TOTAL_BYTES


def upload(client, data: bytes, name: str = "a.png"):
    answer = client.post("/api/v2/upload?folder=avatar", content_type="multipart/form-data",
                         data={"file": (io.BytesIO(data), name, "image/png")})
    assert answer.status_code == 200  # v2: HTTP 200 whatever the code
    return answer.get_json()


def full(count: int = MAX_FILES, megabytes: int = MAX_TOTAL_BYTES // (1024 * 1024)):
    return {"code": 400, "message": f"上传的文件已达上限（{count} 个或 {megabytes} MB），POST /__mock__/reset 可清空",
            "data": None}


def test_the_caps_are_what_the_readme_says():
    assert (MAX_FILE_BYTES, MAX_FILES, MAX_TOTAL_BYTES) == (5 * 1024 * 1024, 100, 64 * 1024 * 1024)


def test_a_file_over_5_mb_is_refused_and_changes_nothing(client, rt):
    before = rt.authing.repo.snapshot()
    assert upload(client, b"x" * (MAX_FILE_BYTES + 1)) == {"code": 413, "message": "文件不能超过 5 MB", "data": None}
    assert rt.authing.repo.snapshot() == before
    at_the_cap = upload(client, b"x" * MAX_FILE_BYTES)
    assert at_the_cap["code"] == 200
    assert client.get(f"/files/{at_the_cap['data']['key']}").content_length == MAX_FILE_BYTES


def test_a_refused_upload_draws_no_random_id(client, monkeypatch):
    upload(client, b"x" * (MAX_FILE_BYTES + 1))
    first = upload(client, b"png")["data"]["key"]
    assert first == upload(create_app(Config()).test_client(), b"png")["data"]["key"]
    monkeypatch.setattr(files, "MAX_TOTAL_BYTES", 10)
    assert upload(client, b"x" * 8) == full(megabytes=0)  # no room left: refused
    later = upload(client, b"x")["data"]["key"]
    fresh = create_app(Config()).test_client()
    assert [upload(fresh, data)["data"]["key"] for data in (b"png", b"x")] == [first, later]


def test_past_the_count_a_new_upload_is_refused_until_a_reset(client, rt):
    kept = [upload(client, b"png %d" % n)["data"]["key"] for n in range(MAX_FILES)]
    before = rt.authing.repo.snapshot()
    assert upload(client, b"one more") == full()
    assert rt.authing.repo.snapshot() == before
    assert client.get(f"/files/{kept[0]}").data == b"png 0"  # what was handed out keeps working
    client.post("/__mock__/reset")
    assert upload(client, b"after the reset")["code"] == 200


def test_past_the_total_bytes_a_new_upload_is_refused(client, monkeypatch):
    monkeypatch.setattr(files, "MAX_TOTAL_BYTES", 10 * 1024 * 1024)
    assert upload(client, b"x" * MAX_FILE_BYTES)["code"] == 200
    assert upload(client, b"x" * MAX_FILE_BYTES)["code"] == 200  # exactly 10 MB
    assert upload(client, b"x") == full(megabytes=10)


def test_racing_uploads_never_pass_the_count(app, rt, monkeypatch):
    monkeypatch.setattr(files, "MAX_FILES", 5)
    codes = []
    barrier = threading.Barrier(20)

    def race(n: int):
        client = app.test_client()
        barrier.wait()
        codes.append(upload(client, b"png %d" % n)["code"])

    threads = [threading.Thread(target=race, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(codes) == [200] * 5 + [400] * 15
    assert rt.authing.repo.file_use()["count"] == 5 and len(rt.store.items("authing.files")) == 5


def test_the_route_reads_no_more_of_a_file_than_it_takes_to_refuse_it(app, rt, monkeypatch):
    seen = []
    monkeypatch.setattr(rt.authing.files, "upload", lambda folder, name, kind, data: seen.append(len(data)) or "k")
    upload(app.test_client(), b"x" * (MAX_FILE_BYTES + 1000))
    assert seen == [MAX_FILE_BYTES + 1]


def test_the_caps_hold_in_the_atomic_write_when_a_racer_read_before_it(client, rt, monkeypatch):
    monkeypatch.setattr(files, "MAX_FILES", 2)
    monkeypatch.setattr(rt.authing.repo, "file_use", lambda: {"count": 0, "bytes": 0})  # what a racer saw
    assert [upload(client, b"png %d" % n)["code"] for n in range(3)] == [200, 200, 400]
    assert len(rt.store.items("authing.files")) == 2
