"""A local HTTP stand-in of the Hugging Face Hub's upload and download API, for the real client.

Point `huggingface_hub` at it with `HF_ENDPOINT=http://127.0.0.1:<port>` (and `HF_HUB_DISABLE_XET=1`:
huggingface_hub 1.x uploads through Xet storage whenever `hf_xet` is installed, see
`huggingface_hub/_commit_api.py: _upload_files` and `utils/_runtime.py: is_xet_available`; with Xet
disabled it uses the Hub's documented LFS batch protocol). Nothing in the client is patched: it talks
HTTP to this server exactly as to huggingface.co.

Endpoints (those huggingface_hub 1.33 calls for `create_repo`, `upload_folder`/`create_commit`,
`create_tag`/`delete_tag`, `repo_info`, `list_repo_tree`, `list_repo_refs`, `hf_hub_download` and
`snapshot_download`), with the Hub's response shapes and error headers (`X-Error-Code`):

    POST   /api/repos/create                                   {name, organization, type} → {url}
    POST   /api/validate-yaml                                  → {}
    POST   /api/{type}s/{repo}/preupload/{rev}                 → {files: [{path, uploadMode, oid, …}]}
    POST   /{prefix}{repo}.git/info/lfs/objects/batch          → LFS batch (basic transfer)
    PUT    /lfs-objects/{oid}                                  LFS upload;  POST /lfs-verify
    POST   /api/{type}s/{repo}/commit/{rev}                    NDJSON: header, file, lfsFile, deletedFile(s)
    GET    /api/{type}s/{repo}[/revision/{rev}]                repo info (sha, siblings)
    GET    /api/{type}s/{repo}/tree/{rev}[/{path}]             tree listing (LFS info for LFS files)
    GET    /api/{type}s/{repo}/refs                            branches and tags
    POST   /api/{type}s/{repo}/tag/{rev}   DELETE …/tag/{tag}  POST …/branch/{name}
    HEAD   /{prefix}{repo}/resolve/{rev}/{path}                X-Repo-Commit, ETag, Content-Length
    GET    /{prefix}{repo}/resolve/{rev}/{path}                the file

`prefix` is `datasets/` for datasets and empty for models. State is kept in memory; every request
is logged in `LocalHub.requests` (method, path) so tests can check which protocol was used.

One client call ignores `HF_ENDPOINT`: `RepoCard.validate` (huggingface_hub 1.33, repocard.py) posts
to a hard-coded `https://huggingface.co/api/validate-yaml`, and LeRobot validates every model card
it pushes (`PreTrainedPolicy.generate_model_card`). Without internet that call fails, so the server is
also an HTTPS proxy for `huggingface.co` only (`proxy_env()`: `HTTPS_PROXY` plus `SSL_CERT_FILE`
with a certificate made for the test, both read by httpx, the client's HTTP library): the request
reaches this same stand-in. Any other host behind the proxy is refused.
"""

import base64
import hashlib
import json
import re
import ssl
import subprocess
import tempfile
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

HUB_HOST = "huggingface.co"
LFS_SPEC = "https://git-lfs.github.com/spec/v1"
LFS_SUFFIXES = (".parquet", ".mp4", ".safetensors", ".bin", ".png", ".jpg", ".npz", ".arrow", ".pt")
GITATTRIBUTES = b"*.parquet filter=lfs diff=lfs merge=lfs -text\n*.mp4 filter=lfs diff=lfs merge=lfs -text\n"


def git_blob_sha1(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


@dataclass
class StoredFile:
    size: int
    blob_id: str  # git sha1 of the content (regular) or of the LFS pointer
    content: bytes | None = None  # regular files
    lfs_oid: str | None = None  # LFS files: sha256 of the content, stored in LocalHub.lfs

    @property
    def etag(self) -> str:
        return self.lfs_oid or self.blob_id


@dataclass
class Repo:
    repo_type: str
    repo_id: str
    private: bool
    commits: dict[str, dict[str, StoredFile]] = field(default_factory=dict)
    branches: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)

    def resolve(self, revision: str) -> str | None:
        revision = revision.removeprefix("refs/heads/").removeprefix("refs/tags/")
        if revision in self.branches:
            return self.branches[revision]
        if revision in self.tags:
            return self.tags[revision]
        return revision if revision in self.commits else None


class HubError(Exception):
    def __init__(self, status: int, message: str, code: str | None = None):
        super().__init__(message)
        self.status, self.message, self.code = status, message, code


class LocalHub:
    """The server's state and request handling; `serve()` starts it on 127.0.0.1 in a thread."""

    def __init__(self):
        self.repos: dict[tuple[str, str], Repo] = {}
        self.lfs: dict[str, bytes] = {}
        self.requests: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        self.endpoint = ""
        self._counter = 0

    # --- server -------------------------------------------------------------------------------------

    def serve(self) -> "LocalHub":
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's method names)
                hub.handle(self, "GET")

            def do_HEAD(self):  # noqa: N802
                hub.handle(self, "HEAD")

            def do_POST(self):  # noqa: N802
                hub.handle(self, "POST")

            def do_PUT(self):  # noqa: N802
                hub.handle(self, "PUT")

            def do_DELETE(self):  # noqa: N802
                hub.handle(self, "DELETE")

            def do_CONNECT(self):  # noqa: N802
                hub.tunnel(self)

            def log_message(self, *args):
                pass

        self.handler = Handler
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.certificate = self.make_certificate()
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def client_env(self) -> dict[str, str]:
        """Environment for a `huggingface_hub` client process talking to this stand-in."""
        return {
            "HF_ENDPOINT": self.endpoint,
            "HF_HUB_DISABLE_XET": "1",
            "HF_HUB_OFFLINE": "0",
            "HF_HUB_DISABLE_TELEMETRY": "1",
            "HF_TOKEN": "hf_local_stand_in",  # not a credential: the stand-in accepts any token
            "HTTPS_PROXY": self.endpoint,
            "SSL_CERT_FILE": str(self.certificate),
        }

    def make_certificate(self) -> Path:
        """A self-signed certificate for huggingface.co (openssl), trusted through SSL_CERT_FILE."""
        folder = Path(tempfile.mkdtemp(prefix="local_hub_tls_"))
        key, cert = folder / "key.pem", folder / "cert.pem"
        command = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
        command += ["-subj", f"/CN={HUB_HOST}", "-addext", f"subjectAltName=DNS:{HUB_HOST}"]
        subprocess.run([*command, "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
        self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.tls.load_cert_chain(folder / "cert.pem", folder / "key.pem")
        return folder / "cert.pem"

    def tunnel(self, request: BaseHTTPRequestHandler) -> None:
        """CONNECT huggingface.co:443: terminate TLS here and serve the same API inside the tunnel."""
        host = request.path.split(":")[0]
        self.requests.append(("CONNECT", request.path))
        if host != HUB_HOST:
            self.reply(request, 403, b"the local Hub stand-in only proxies huggingface.co")
            return
        request.send_response(200, "Connection established")
        request.end_headers()
        request.wfile.flush()
        connection = self.tls.wrap_socket(request.connection, server_side=True)
        self.handler(connection, request.client_address, self.server)
        request.close_connection = True

    # --- plumbing -------------------------------------------------------------------------------------

    @staticmethod
    def read_body(request: BaseHTTPRequestHandler) -> bytes:
        if request.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = b""
            while True:
                size = int(request.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    request.rfile.readline()
                    return body
                body += request.rfile.read(size)
                request.rfile.readline()
        return request.rfile.read(int(request.headers.get("Content-Length") or 0))

    @staticmethod
    def reply(request, status: int, body: bytes = b"", headers: dict | None = None, method: str = "GET"):
        request.send_response(status)
        for name, value in (headers or {}).items():
            request.send_header(name, value)
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        if method != "HEAD":
            request.wfile.write(body)

    def handle(self, request: BaseHTTPRequestHandler, method: str) -> None:
        url = urlsplit(request.path)
        body = self.read_body(request) if method in ("POST", "PUT") else b""
        self.requests.append((method, url.path))
        try:
            with self.lock:
                status, payload, headers = self.route(
                    method, url.path, parse_qs(url.query), body, request.headers
                )
        except HubError as e:
            headers = {"Content-Type": "application/json", "X-Error-Message": e.message}
            if e.code:
                headers["X-Error-Code"] = e.code
            self.reply(request, e.status, json.dumps({"error": e.message}).encode(), headers, method)
            return
        if isinstance(payload, bytes):
            self.reply(request, status, payload, headers, method)
        else:
            headers = {"Content-Type": "application/json", **headers}
            self.reply(request, status, json.dumps(payload).encode(), headers, method)

    def route(self, method: str, path: str, query: dict, body: bytes, headers) -> tuple[int, object, dict]:
        if method == "POST" and path == "/api/repos/create":
            return self.create_repo(json.loads(body))
        if method == "POST" and path == "/api/validate-yaml":
            return 200, {}, {}
        if method == "PUT" and path.startswith("/lfs-objects/"):
            return self.lfs_upload(path.rsplit("/", 1)[1], body)
        if method == "POST" and path == "/lfs-verify":
            oid = json.loads(body)["oid"]
            if oid not in self.lfs:
                raise HubError(404, f"LFS object {oid} was never uploaded")
            return 200, {}, {}
        if match := re.fullmatch(r"/(datasets/)?([^/]+/[^/]+)\.git/info/lfs/objects/batch", path):
            return self.lfs_batch(self.repo("dataset" if match[1] else "model", match[2]), json.loads(body))
        if match := re.fullmatch(r"/api/(models|datasets)/([^/]+/[^/]+)(?:/(.*))?", path):
            repo = self.repo(match[1][:-1], match[2])
            return self.api(method, repo, match[3] or "", query, body)
        if match := re.fullmatch(r"/(datasets/)?([^/]+/[^/]+)/resolve/([^/]+)/(.+)", path):
            repo = self.repo("dataset" if match[1] else "model", match[2])
            return self.resolve_file(repo, unquote(match[3]), unquote(match[4]))
        raise HubError(404, f"{method} {path} is not implemented by the local Hub stand-in")

    def repo(self, repo_type: str, repo_id: str) -> Repo:
        repo = self.repos.get((repo_type, repo_id))
        if repo is None:
            raise HubError(404, f"Repository {repo_type} {repo_id} not found", "RepoNotFound")
        return repo

    def repo_url(self, repo: Repo) -> str:
        prefix = "datasets/" if repo.repo_type == "dataset" else ""
        return f"{self.endpoint}/{prefix}{repo.repo_id}"

    def new_commit(self, repo: Repo, files: dict[str, StoredFile], branch: str) -> str:
        self._counter += 1
        sha = hashlib.sha1(f"{repo.repo_id}:{branch}:{self._counter}".encode()).hexdigest()
        repo.commits[sha] = files
        repo.branches[branch] = sha
        return sha

    # --- endpoints --------------------------------------------------------------------------------

    def create_repo(self, payload: dict) -> tuple[int, object, dict]:
        repo_type = payload.get("type") or "model"
        repo_id = (
            f"{payload['organization']}/{payload['name']}" if payload.get("organization") else payload["name"]
        )
        key = (repo_type, repo_id)
        if key in self.repos:
            return 409, {"error": "You already created this repo", "url": self.repo_url(self.repos[key])}, {}
        repo = Repo(
            repo_type, repo_id, payload.get("visibility") == "private" or bool(payload.get("private"))
        )
        self.repos[key] = repo
        attributes = StoredFile(len(GITATTRIBUTES), git_blob_sha1(GITATTRIBUTES), content=GITATTRIBUTES)
        self.new_commit(repo, {".gitattributes": attributes}, "main")
        return 200, {"url": self.repo_url(repo), "name": repo_id}, {}

    def api(self, method: str, repo: Repo, rest: str, query: dict, body: bytes) -> tuple[int, object, dict]:
        action, _, argument = rest.partition("/")
        if method == "GET" and action in ("", "revision"):
            return self.info(repo, unquote(argument) if action else "main")
        if method == "POST" and action == "preupload":
            return self.preupload(repo, unquote(argument), json.loads(body))
        if method == "POST" and action == "commit":
            return self.commit(repo, unquote(argument), body)
        if method == "GET" and action == "tree":
            revision, _, folder = argument.partition("/")
            recursive = query.get("recursive", ["false"])[0].lower() == "true"
            return self.tree(repo, unquote(revision), unquote(folder), recursive)
        if method == "GET" and action == "refs":
            return self.refs(repo)
        if method == "POST" and action == "tag":
            return self.create_tag(repo, unquote(argument), json.loads(body))
        if method == "DELETE" and action == "tag":
            if repo.tags.pop(unquote(argument), None) is None:
                raise HubError(404, f"Tag {argument} not found", "RevisionNotFound")
            return 200, {}, {}
        if method == "POST" and action == "branch":
            start = json.loads(body or b"{}").get("startingPoint", "main")
            sha = self.commit_of(repo, start)
            if unquote(argument) in repo.branches:
                raise HubError(409, f"Branch {argument} already exists")
            repo.branches[unquote(argument)] = sha
            return 200, {}, {}
        raise HubError(404, f"{method} /api/{repo.repo_type}s/{repo.repo_id}/{rest} is not implemented")

    def commit_of(self, repo: Repo, revision: str) -> str:
        sha = repo.resolve(revision)
        if sha is None:
            raise HubError(404, f"Revision {revision} not found in {repo.repo_id}", "RevisionNotFound")
        return sha

    def info(self, repo: Repo, revision: str) -> tuple[int, object, dict]:
        sha = self.commit_of(repo, revision)
        return (
            200,
            {
                "id": repo.repo_id,
                "sha": sha,
                "private": repo.private,
                "tags": [],
                "siblings": [{"rfilename": path} for path in sorted(repo.commits[sha])],
            },
            {},
        )

    def preupload(self, repo: Repo, revision: str, payload: dict) -> tuple[int, object, dict]:
        files = repo.commits[self.commit_of(repo, revision)]
        answer = []
        for item in payload["files"]:
            sample = base64.b64decode(item["sample"])
            binary = b"\0" in sample or item["path"].endswith(LFS_SUFFIXES) or item["size"] > 10_000_000
            existing = files.get(item["path"])
            answer.append(
                {
                    "path": item["path"],
                    "uploadMode": "lfs" if binary else "regular",
                    "shouldIgnore": False,
                    "oid": None if existing is None else existing.etag,
                }
            )
        return 200, {"files": answer, "commitOid": self.commit_of(repo, revision)}, {}

    def lfs_batch(self, repo: Repo, payload: dict) -> tuple[int, object, dict]:
        objects = []
        for item in payload["objects"]:
            entry = {"oid": item["oid"], "size": item["size"], "authenticated": True}
            if item["oid"] not in self.lfs:
                entry["actions"] = {
                    "upload": {"href": f"{self.endpoint}/lfs-objects/{item['oid']}", "header": {}},
                    "verify": {"href": f"{self.endpoint}/lfs-verify", "header": {}},
                }
            objects.append(entry)
        return 200, {"transfer": "basic", "objects": objects}, {}

    def lfs_upload(self, oid: str, body: bytes) -> tuple[int, object, dict]:
        if hashlib.sha256(body).hexdigest() != oid:
            raise HubError(400, f"Uploaded content does not match its sha256 {oid}")
        self.lfs[oid] = body
        return 200, b"", {}

    def commit(self, repo: Repo, revision: str, body: bytes) -> tuple[int, object, dict]:
        if revision not in repo.branches:
            raise HubError(404, f"Branch {revision} not found in {repo.repo_id}", "RevisionNotFound")
        files = dict(repo.commits[repo.branches[revision]])
        for line in body.splitlines():
            item = json.loads(line)
            key, value = item["key"], item["value"]
            if key == "header":
                parent = value.get("parentCommit")
                if parent and parent != repo.branches[revision]:
                    raise HubError(412, f"Parent commit {parent} is not the head of {revision}")
            elif key == "file":
                content = base64.b64decode(value["content"])
                files[value["path"]] = StoredFile(len(content), git_blob_sha1(content), content=content)
            elif key == "lfsFile":
                if value["oid"] not in self.lfs:
                    raise HubError(400, f"LFS object {value['oid']} of {value['path']} was not uploaded")
                pointer = f"version {LFS_SPEC}\noid sha256:{value['oid']}\nsize {value['size']}\n"
                files[value["path"]] = StoredFile(
                    value["size"], git_blob_sha1(pointer.encode()), lfs_oid=value["oid"]
                )
            elif key == "deletedFile":
                files.pop(value["path"], None)
            elif key == "deletedFolder":
                folder = value["path"].rstrip("/") + "/"
                files = {path: f for path, f in files.items() if not path.startswith(folder)}
            else:
                raise HubError(400, f"Unknown commit operation {key!r}")
        sha = self.new_commit(repo, files, revision)
        return (
            200,
            {"commitUrl": f"{self.repo_url(repo)}/commit/{sha}", "commitOid": sha, "success": True},
            {},
        )

    def tree(self, repo: Repo, revision: str, folder: str, recursive: bool) -> tuple[int, object, dict]:
        files = repo.commits[self.commit_of(repo, revision)]
        prefix = folder.rstrip("/") + "/" if folder else ""
        entries, folders = [], set()
        for path, stored in sorted(files.items()):
            if not path.startswith(prefix):
                continue
            rest = path[len(prefix) :]
            if "/" in rest and not recursive:
                folders.add(prefix + rest.split("/", 1)[0])
                continue
            if recursive:
                parts = rest.split("/")[:-1]
                folders.update(prefix + "/".join(parts[: i + 1]) for i in range(len(parts)))
            entry = {"type": "file", "oid": stored.blob_id, "size": stored.size, "path": path}
            if stored.lfs_oid:
                entry["lfs"] = {"oid": stored.lfs_oid, "size": stored.size, "pointerSize": 134}
            entries.append(entry)
        entries += [
            {"type": "directory", "oid": "0" * 40, "size": 0, "path": path} for path in sorted(folders)
        ]
        if prefix and not entries:
            raise HubError(404, f"{folder} not found at {revision}", "EntryNotFound")
        return 200, entries, {}

    def refs(self, repo: Repo) -> tuple[int, object, dict]:
        def ref(kind: str, name: str, sha: str) -> dict:
            return {"name": name, "ref": f"refs/{kind}/{name}", "targetCommit": sha}

        return (
            200,
            {
                "branches": [ref("heads", name, sha) for name, sha in repo.branches.items()],
                "tags": [ref("tags", name, sha) for name, sha in repo.tags.items()],
                "converts": [],
            },
            {},
        )

    def create_tag(self, repo: Repo, revision: str, payload: dict) -> tuple[int, object, dict]:
        if payload["tag"] in repo.tags:
            raise HubError(409, f"Tag {payload['tag']} already exists")
        repo.tags[payload["tag"]] = self.commit_of(repo, revision)
        return 200, {}, {}

    def resolve_file(self, repo: Repo, revision: str, path: str) -> tuple[int, object, dict]:
        sha = self.commit_of(repo, revision)
        stored = repo.commits[sha].get(path)
        headers = {"X-Repo-Commit": sha}
        if stored is None:
            raise HubError(404, f"{path} not found at {revision}", "EntryNotFound")
        content = stored.content if stored.lfs_oid is None else self.lfs[stored.lfs_oid]
        return (
            200,
            content,
            {**headers, "ETag": f'"{stored.etag}"', "Content-Type": "application/octet-stream"},
        )

    def file(self, repo_type: str, repo_id: str, path: str, revision: str = "main") -> bytes:
        """A file's content as stored (for assertions)."""
        repo = self.repo(repo_type, repo_id)
        stored = repo.commits[self.commit_of(repo, revision)][path]
        return stored.content if stored.lfs_oid is None else self.lfs[stored.lfs_oid]
