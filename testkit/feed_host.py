"""Another podcast host on 127.0.0.1: a small web server with fixed answers, and a feed as others write it.

``import_feed`` tests fetch from it (with ``PODCASTCME_IMPORT_ALLOW_LOOPBACK``): real audio from
ffmpeg, real artwork, a feed with the habits of Buzzsprout, Libsyn and Anchor.
"""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from testkit.media import make_artwork, make_audio


class FeedServer:
    """A tiny web server on 127.0.0.1: paths answer with fixed bytes, after an optional delay."""

    def __init__(self):
        self.routes: dict[str, tuple[int, str, bytes, float]] = {}
        routes = self.routes

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                status, content_type, body, delay = routes.get(self.path, (404, "text/html", b"Not found", 0))
                if delay:
                    time.sleep(delay)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the importer gave up waiting (a timeout test)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return self.base + path

    def add(self, path: str, body: bytes, content_type: str = "application/octet-stream", **kwargs) -> str:
        self.routes[path] = (kwargs.get("status", 200), content_type, body, kwargs.get("delay", 0))
        return self.url(path)

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


OTHER_HOST_FEED = """<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"
     xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:atom="http://www.w3.org/2005/Atom"
     xmlns:podcast="https://podcastindex.org/namespace/1.0">
<channel>
  <atom:link href="{base}/rss/night-shift.rss" rel="self" type="application/rss+xml" />
  <title>The Night Shift: Anaesthesia &amp; ICU</title>
  <lastBuildDate>Tue, 04 Mar 2025 09:12:44 -0500</lastBuildDate>
  <link>https://nightshift.example.com</link>
  <language>en-us</language>
  <copyright>© 2025 Night Shift Media</copyright>
  <itunes:subtitle>Cases from the night shift</itunes:subtitle>
  <itunes:author>Dr. Sam Okafor</itunes:author>
  <itunes:summary><![CDATA[<p>Real cases from the <b>night shift</b>, told by the people who ran them.</p>
<p>New episodes every other Tuesday.</p>]]></itunes:summary>
  <description><![CDATA[<p>Real cases from the <b>night shift</b>.</p>]]></description>
  <itunes:type>serial</itunes:type>
  <itunes:owner>
    <itunes:name>Night Shift Media</itunes:name>
    <itunes:email>hello@nightshift.example.com</itunes:email>
  </itunes:owner>
  <image>
    <url>{base}/artwork/show-1400.jpg</url>
    <title>The Night Shift</title>
    <link>https://nightshift.example.com</link>
  </image>
  <itunes:image href="{base}/artwork/show-1400.jpg" />
  <itunes:explicit>false</itunes:explicit>
  <itunes:category text="{category}">
    <itunes:category text="{subcategory}" />
  </itunes:category>
  {locked}
  <item>
    <title>Ep. 12: The Cannot-Intubate Night</title>
    <itunes:title>The Cannot-Intubate Night</itunes:title>
    <description><![CDATA[<p>A <strong>CICO</strong> case at 3 a.m.</p><script>alert("x")</script>
<ul><li>Front of neck access</li><li>Debrief</li></ul>]]></description>
    <content:encoded><![CDATA[<p>A <strong>CICO</strong> case at 3 a.m.</p><script>alert("x")</script>
<ul><li>Front of neck access</li><li>Debrief</li></ul>]]></content:encoded>
    <itunes:image href="{base}/artwork/show-1400.jpg" />
    <enclosure url="{base}/media/ep12-cico.mp3?source=feed" length="{len12}" type="audio/mpeg" />
    <guid isPermaLink="false">Buzzsprout-15012345</guid>
    <pubDate>Tue, 04 Mar 2025 05:00:00 -0500</pubDate>
    <itunes:duration>00:00:03</itunes:duration>
    <itunes:season>2</itunes:season>
    <itunes:episode>12</itunes:episode>
    <itunes:episodeType>full</itunes:episodeType>
    <itunes:explicit>yes</itunes:explicit>
  </item>
  <item>
    <title>Behind the mic: season two</title>
    <description>Plain text notes, no markup at all &amp; an ampersand.</description>
    <enclosure url="{base}/media/trailer-s2.m4a" length="{len_trailer}" type="audio/x-m4a" />
    <guid isPermaLink="false">a3f1c2de-77b0-4a6e-9d0c-2b1e5f0c9a11</guid>
    <pubDate>Tue, 18 Feb 2025 12:30:00 GMT</pubDate>
    <itunes:duration>00:00:02</itunes:duration>
    <itunes:season>2</itunes:season>
    <itunes:episodeType>trailer</itunes:episodeType>
  </item>
  <item>
    <title>Ep. 11: Sugammadex at the bedside</title>
    <description><![CDATA[Notes with a <a href="https://example.org/ref">reference</a>.]]></description>
    <enclosure url="{base}/media/ep11.mp3" length="{len11}" type="audio/mpeg" />
    <guid>https://nightshift.example.com/episodes/11</guid>
    <pubDate>Tue, 04 Feb 2025 05:00:00 -0500</pubDate>
    <itunes:duration>0:02</itunes:duration>
    <itunes:season>1</itunes:season>
    <itunes:episode>11</itunes:episode>
  </item>
  <item>
    <title>Live show tickets are on sale</title>
    <description>A text post with no audio.</description>
    <guid isPermaLink="false">post-77</guid>
    <pubDate>Mon, 03 Feb 2025 10:00:00 GMT</pubDate>
  </item>
</channel>
</rss>
"""

GUIDS = [
    "Buzzsprout-15012345",
    "a3f1c2de-77b0-4a6e-9d0c-2b1e5f0c9a11",
    "https://nightshift.example.com/episodes/11",
]
AUDIO_PATHS = {
    "/media/ep12-cico.mp3?source=feed": ("mp3", 3.0),
    "/media/trailer-s2.m4a": ("m4a", 2.0),
    "/media/ep11.mp3": ("mp3", 2.0),
}


def serve_other_host_feed(
    server: FeedServer,
    *,
    skip_audio: str = "",
    category: str = "Health &amp; Fitness",
    subcategory: str = "Medicine",
    locked: str = "",
    artwork: bytes | None = None,
) -> str:
    lengths = {}
    for path, (kind, seconds) in AUDIO_PATHS.items():
        body = make_audio(seconds, kind).read_bytes()
        lengths[path] = len(body)
        if path != skip_audio:
            server.add(path, body, "audio/mpeg" if kind == "mp3" else "audio/mp4")
    server.add("/artwork/show-1400.jpg", make_artwork(1400) if artwork is None else artwork, "image/jpeg")
    feed = OTHER_HOST_FEED.format(
        base=server.base,
        category=category,
        subcategory=subcategory,
        locked=locked,
        len12=lengths["/media/ep12-cico.mp3?source=feed"],
        len_trailer=lengths["/media/trailer-s2.m4a"],
        len11=lengths["/media/ep11.mp3"],
    )
    return server.add("/rss/night-shift.rss", feed.encode(), "application/rss+xml; charset=utf-8")
