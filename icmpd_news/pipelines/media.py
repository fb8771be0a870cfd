"""What the images and attachments pipelines share, on top of Scrapy's FilesPipeline: requests
from the item's own entries, each entry gaining RESULT_KEYS; bytes verified before they are
stored; a failed file never drops the article. Why: docs/design.md, "Images, attachments and PDFs".
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from itemadapter import ItemAdapter
from scrapy.exceptions import DownloadCancelledError, IgnoreRequest
from scrapy.http import Request, Response
from scrapy.http.request import NO_CALLBACK
from scrapy.pipelines.files import FilesPipeline
from scrapy.pipelines.media import FileInfo, FileInfoOrError, MediaPipeline
from scrapy.utils.defer import ensure_awaitable
from twisted.internet.defer import CancelledError
from twisted.python.failure import Failure

from icmpd_news.dataset.files import AtomicFSFilesStore, recorded_files, store_dir
from icmpd_news.extensions.crawl_run import CrawlRun
from icmpd_news.media.filetypes import WrongType, file_extension, sniff, url_extension
from icmpd_news.middlewares.robotstxt import RobotsTxtUnreachable
from icmpd_news.stats import (
    MEDIA_CONTENT_TYPE_MISMATCH,
    MEDIA_DOWNLOADED,
    MEDIA_EXPIRED,
    MEDIA_FAILED,
    MEDIA_UPTODATE,
    media_failed,
    media_refetched,
    media_stat,
)
from icmpd_news.urls import canonical_url

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from typing_extensions import Self

logger = logging.getLogger(__name__)

_OUR_NAME = re.compile(r"^[a-z]+/[0-9a-f]{40}$")
_SAFE_EXTENSION = re.compile(r"^\.[a-z0-9]{1,5}$")
# The keys every entry gains, whatever its status (null when they do not apply).
RESULT_KEYS = ("path", "checksum", "size", "content_type", "status", "error", "transient")
# Check failures (WrongType kinds) that say nothing about the file: the next run tries again.
TRANSIENT_CHECK_KINDS = frozenset({"worker_lost"})


@dataclass(frozen=True, slots=True)
class StoredFile:
    """A stored file's result (downloaded or up to date), kept all run; read like a dict."""

    path: str
    checksum: str | None
    size: int | None
    content_type: str | None
    status: str
    width: int | None = None
    height: int | None = None
    error: None = None
    transient: None = None

    def __getitem__(self, key: str) -> Any:
        return getattr(self, key)

    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, key, default) if key in self.__slots__ else default


class ArticleMediaMixin:
    """Mixed in before FilesPipeline or ImagesPipeline; subclasses set the class attributes and `check_bytes`."""

    FIELD: ClassVar[str]  # the item field whose entries are downloaded
    FOLDER: ClassVar[str]  # the folder inside the store
    STATS: ClassVar[str]  # the <media> its stats are counted under (icmpd_news.stats)
    STORE_SETTING: ClassVar[str]  # FILES_STORE or IMAGES_STORE
    EXTENSIONS: ClassVar[frozenset[str]]  # the extensions kept in file names
    DETAIL_KEYS: ClassVar[tuple[str, ...]] = ()  # further keys check_bytes returns (width, height)
    STORE_SCHEMES: ClassVar[dict[str, Any]] = {**FilesPipeline.STORE_SCHEMES, "": AtomicFSFilesStore, "file": AtomicFSFilesStore}

    crawler: Crawler
    expires: int
    store: Any
    MEDIA_NAME: str

    def __init__(self, store_uri: str, *, crawler: Crawler) -> None:
        super().__init__(store_uri, crawler=crawler)  # type: ignore[call-arg]
        self.max_size = crawler.settings.getint("ICMPD_FILES_MAX_SIZE")
        self.transient_statuses = frozenset(int(code) for code in crawler.settings.getlist("RETRY_HTTP_CODES"))
        self.export_path = Path(crawler.settings["ICMPD_OUTPUT_DIR"]) / "articles.jsonl"
        self._recorded: dict[str, dict | StoredFile] | None = None
        self.failures: dict[str, FileInfo] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        cls._update_stores(crawler.settings)  # type: ignore[attr-defined]
        return cls(store_dir(crawler.settings, cls.STORE_SETTING), crawler=crawler)

    @property
    def recorded(self) -> dict[str, dict | StoredFile]:
        """What the export says is stored, by name without extension (only names we make); read on first use."""
        if self._recorded is None:
            self._recorded = {}
            for path, entry in recorded_files(self.export_path).items():
                key, dot, extension = path.partition(".")
                ours = _OUR_NAME.match(key) and key.startswith(f"{self.FOLDER}/")
                if ours and (not dot or _SAFE_EXTENSION.match(f".{extension}")):
                    self._recorded[key] = entry
        return self._recorded

    # --- which files, and where -----------------------------------------------------------

    def media_request(self, url: str) -> Request:
        """The download of one entry, capped at ICMPD_FILES_MAX_SIZE (Scrapy's download_maxsize)."""
        meta = {"download_maxsize": self.max_size, "download_warnsize": self.max_size}
        return Request(url, callback=NO_CALLBACK, meta=meta)

    def get_media_requests(self, item: Any, info: MediaPipeline.SpiderInfo) -> list[Request]:
        """One request per entry whose URL makes one (item_completed pairs them again)."""
        return [request for request, _ in self._requests(item) if request is not None]

    def _requests(self, item: Any) -> list[tuple[Request | None, dict]]:
        pairs: list[tuple[Request | None, dict]] = []
        for entry in ItemAdapter(item).get(self.FIELD) or []:
            try:
                pairs.append((self.media_request(entry["url"]), entry))
            except ValueError:
                pairs.append((None, entry))
        return pairs

    def file_path(
        self,
        request: Request,
        response: Response | None = None,
        info: MediaPipeline.SpiderInfo | None = None,
        *,
        item: Any = None,
    ) -> str:
        """FOLDER/<sha1 of the canonical URL><extension of the type the bytes are, else the link's>."""
        url = canonical_url(request.url)
        if response is None:
            extension = url_extension(url, self.EXTENSIONS)
        else:
            extension = file_extension(sniff(response.body), url)
        return f"{self._key(request)}{extension}"

    def _key(self, request: Request) -> str:
        return f"{self.FOLDER}/{hashlib.sha1(canonical_url(request.url).encode()).hexdigest()}"

    # --- already stored? ------------------------------------------------------------------

    async def media_to_download(
        self, request: Request, info: MediaPipeline.SpiderInfo, *, item: Any = None
    ) -> FileInfo | None:
        """The recorded entry when the stored file is still the one the export describes; None (download
        it) when it is new, missing, expired or no longer matches its recorded checksum."""
        recorded = self.recorded.get(self._key(request))
        if recorded is None:
            return None
        path = recorded["path"]
        stored = await ensure_awaitable(self.store.stat_file(path, info))
        if not stored:
            self._refetch("missing", request, path, "is recorded in the export but missing from the store")
            return None
        if (time.time() - stored["last_modified"]) / 86400 > self.expires:
            self._inc(MEDIA_EXPIRED)
            logger.info("%s %s stored as %s is older than %d days: fetching it again",
                        self.MEDIA_NAME, request.url, path, self.expires)
            return None
        if stored.get("checksum") != recorded["checksum"]:
            self._refetch("corrupt", request, path, f"has checksum {stored.get('checksum')}, not the recorded "
                          f"{recorded['checksum']} (truncated by a killed run, or altered)")
            return None
        self._inc(MEDIA_UPTODATE)
        details = {key: recorded.get(key) for key in ("size", "content_type") + self.DETAIL_KEYS}
        return StoredFile(path=path, checksum=recorded["checksum"], status="uptodate", **details)  # type: ignore[return-value]

    def _refetch(self, reason: str, request: Request, path: str, message: str) -> None:
        self._inc(media_refetched(reason))
        logger.warning("%s %s: the stored file %s %s: fetching it again", self.MEDIA_NAME, request.url, path, message)

    # --- downloaded: verify, then store ---------------------------------------------------

    async def check_bytes(self, body: bytes, url: str) -> dict[str, Any]:
        """content_type (by the bytes) and DETAIL_KEYS of a good file; WrongType otherwise."""
        raise NotImplementedError

    async def media_downloaded(
        self, response: Response, request: Request, info: MediaPipeline.SpiderInfo, *, item: Any = None
    ) -> FileInfo:
        """Verify the response; store it only when it is what the link promised."""
        try:
            if response.status != 200:
                raise WrongType(f"http_{response.status}", f"answered HTTP {response.status}")
            if not response.body:
                raise WrongType("empty", "answered an empty body")
            if len(response.body) > self.max_size:
                raise WrongType("too_large", self._too_large(len(response.body)))
            details = await self.check_bytes(response.body, request.url)
        except WrongType as error:
            transient = response.status in self.transient_statuses or error.kind in TRANSIENT_CHECK_KINDS
            return self._failed(request, error.kind, error.message, transient=transient)
        # FilesPipeline.media_downloaded's storing, with a failed write reported as the run's failure.
        path = self.file_path(request, response=response, info=info, item=item)
        try:
            checksum = await ensure_awaitable(self.file_downloaded(response, request, info, item=item))  # type: ignore[attr-defined]
        except OSError as error:
            return self._not_stored(error, request, path)
        self.inc_stats("downloaded")  # type: ignore[attr-defined]
        result = StoredFile(path=path, checksum=checksum, size=len(response.body),
                            status="downloaded", **{key: details[key] for key in ("content_type", *self.DETAIL_KEYS)})
        self._note_served_type(response, request, details["content_type"])
        self.recorded[self._key(request)] = result
        self._inc(MEDIA_DOWNLOADED)
        return result  # type: ignore[return-value]

    def _not_stored(self, error: OSError, request: Request, path: str) -> FileInfo:
        """The file could not be written: CrawlRun.write_failed fails the run; the entry fails silently."""
        run = self.crawler.get_extension(CrawlRun)
        if run is None:
            raise error
        run.write_failed(error, Path(getattr(self.store, "basedir", "")) / path)
        self._inc(MEDIA_FAILED)
        self._inc(media_failed("not_stored"))
        return {"url": request.url, "path": None, "checksum": None,  # type: ignore[typeddict-item]
                "status": "failed", "error": f"not stored: {run.write_error}", "transient": True}

    def _note_served_type(self, response: Response, request: Request, content_type: str) -> None:
        served = (response.headers.get("Content-Type") or b"").decode("latin-1").split(";", 1)[0].strip().lower()
        if served and served != content_type and served != "application/octet-stream":
            self._inc(MEDIA_CONTENT_TYPE_MISMATCH)
            logger.info("%s %s is served as %s but its bytes are %s: recorded as %s",
                        self.MEDIA_NAME, request.url, served, content_type, content_type)

    def media_failed(self, failure: Failure, request: Request, info: MediaPipeline.SpiderInfo) -> None:
        """Remember why the download failed, for item_completed (not raised: that logs a traceback)."""
        error = failure.value
        transient = False
        if isinstance(error, IgnoreRequest):
            kind, message = "not_downloaded", f"not downloaded: {error}"
            transient = isinstance(error, RobotsTxtUnreachable)
        elif isinstance(error, (DownloadCancelledError, CancelledError)):
            kind, message = "too_large", self._too_large(None)
        else:  # no answer (after the retries): timeout, connection error, body cut short
            kind, message = type(error).__name__, f"{type(error).__name__}: {error}"
            transient = True
        self.failures[request.url] = self._failed(request, kind, message, transient=transient)

    def _too_large(self, size: int | None) -> str:
        found = f"{size} bytes, " if size else ""
        return f"larger than the size cap ({found}ICMPD_FILES_MAX_SIZE is {self.max_size} bytes): not downloaded"

    def _failed(self, request: Request, kind: str, message: str, *, transient: bool) -> FileInfo:
        self._inc(MEDIA_FAILED)
        self._inc(media_failed(kind))
        logger.warning("%s %s failed (%s): %s%s", self.MEDIA_NAME, request.url, kind, message,
                       "; the next run tries it again" if transient else "")
        return {"url": request.url, "path": None, "checksum": None,  # type: ignore[typeddict-item]
                "status": "failed", "error": message, "transient": transient}

    def _invalid_url(self, url: str) -> dict:
        self._inc(MEDIA_FAILED)
        self._inc(media_failed("invalid_url"))
        logger.warning("%s %r failed (invalid_url): not a valid URL", self.MEDIA_NAME, url)
        return {"status": "failed", "error": f"not downloaded: {url!r} is not a valid URL", "transient": False}

    def _inc(self, name: str) -> None:
        self.crawler.stats.inc_value(media_stat(name, self.STATS))

    # --- into the record ------------------------------------------------------------------

    def item_completed(self, results: list[FileInfoOrError], item: Any, info: MediaPipeline.SpiderInfo) -> Any:
        """Write each result into its entry (results come in the order of the requests)."""
        outcomes = iter(results)
        for request, entry in self._requests(item):
            if request is None:
                result: dict = self._invalid_url(entry["url"])
            else:
                ok, value = next(outcomes)
                # A failure of the pipeline itself (storing the file, say) is not the file's.
                if not ok:
                    result = self._failed(request, "error", value.getErrorMessage(), transient=True)
                elif value is None:
                    result = self.failures.get(request.url) or self._failed(request, "error", "no result", transient=True)
                else:
                    result = value
            entry.update({key: result.get(key) for key in RESULT_KEYS + self.DETAIL_KEYS})
        return item
