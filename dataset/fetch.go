package dataset

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// defaultClient times out connecting and waiting for headers but has no
// overall deadline: a WMT archive takes minutes on a good line. Stalled
// bodies are caught by GetOptions.StallTimeout instead.
func defaultClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   30 * time.Second,
		ResponseHeaderTimeout: time.Minute,
		IdleConnTimeout:       90 * time.Second,
		// Byte offsets for resuming must count the bytes on the wire.
		DisableCompression: true,
	}}
}

// download fetches p.URL into the data set's .download directory (once per
// Get), verifies the published checksum of the download if there is one,
// and returns the local path. A failed checksum deletes the download.
func (g *getter) download(ctx context.Context, f File, p Source) (string, error) {
	dst := filepath.Join(g.downloadDir(), downloadName(p.URL))
	if _, err := os.Stat(dst); err != nil {
		if err := os.MkdirAll(g.downloadDir(), 0o755); err != nil {
			return "", fmt.Errorf("%s: %w", g.name(f), err)
		}
		if err := g.fetch(ctx, f, p.URL, dst); err != nil {
			return "", err
		}
	}
	if err := verifyDownload(dst, p); err != nil {
		os.Remove(dst)
		return "", err
	}
	return dst, nil
}

// downloadName keeps the URL's base name for people looking in the
// directory, prefixed by a hash so that two dev.tgz from different years
// cannot collide.
func downloadName(rawURL string) string {
	base := "download"
	if u, err := url.Parse(rawURL); err == nil && path.Base(u.Path) != "/" && path.Base(u.Path) != "." {
		base = path.Base(u.Path)
	}
	h := sha256.Sum256([]byte(rawURL))
	return hex.EncodeToString(h[:4]) + "-" + base
}

func verifyDownload(name string, p Source) error {
	algo, want := "sha256", p.SHA256
	if want == "" {
		algo, want = "md5", p.MD5
	}
	if want == "" {
		return nil
	}
	got, err := fileSum(name, algo)
	if err != nil {
		return err
	}
	if got != want {
		return &ChecksumError{File: p.URL, Algo: algo, Want: want, Got: got, Why: "published checksum; download deleted"}
	}
	return nil
}

var errStalled = errors.New("stalled")

// fetch downloads rawURL to dst through dst+".part", resuming a previous
// partial download with a Range request when the server supports it.
func (g *getter) fetch(ctx context.Context, f File, rawURL, dst string) error {
	part := dst + ".part"
	for attempt := 0; ; attempt++ {
		restart, err := g.fetchOnce(ctx, f, rawURL, part)
		if err != nil {
			return err
		}
		if !restart {
			break
		}
		if attempt > 0 {
			return fmt.Errorf("GET %s: server keeps answering the wrong range", rawURL)
		}
		if err := os.Remove(part); err != nil {
			return err
		}
	}
	return os.Rename(part, dst)
}

// fetchOnce makes one request; restart asks for a fresh download because
// the server answered a range other than the one asked for.
func (g *getter) fetchOnce(ctx context.Context, f File, rawURL, part string) (restart bool, err error) {
	var off int64
	if fi, err := os.Stat(part); err == nil {
		off = fi.Size()
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return false, err
	}
	if off > 0 {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-", off))
	}
	client := g.opts.Client
	if client == nil {
		client = defaultClient()
	}
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error // its text repeats the URL
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return false, fmt.Errorf("GET %s: %w", rawURL, err)
	}
	defer resp.Body.Close()
	flags := os.O_WRONLY | os.O_CREATE
	switch {
	case resp.StatusCode == http.StatusPartialContent && off > 0:
		if rangeStart(resp) != off {
			return true, nil
		}
		flags |= os.O_APPEND
	case resp.StatusCode == http.StatusOK:
		flags |= os.O_TRUNC
		off = 0
	case resp.StatusCode == http.StatusRequestedRangeNotSatisfiable && off > 0:
		return false, nil // the partial download is already whole
	default:
		return false, fmt.Errorf("GET %s: %s", rawURL, resp.Status)
	}
	total := int64(-1)
	if resp.ContentLength >= 0 {
		total = off + resp.ContentLength
	}
	t := transfer{file: f.Name, url: rawURL, part: part, flags: flags, off: off, total: total}
	g.emit(Event{Kind: Downloading, File: f.Name, URL: rawURL, Bytes: off, Total: total})
	n, err := g.receive(cancel, resp.Body, t)
	if err != nil {
		if errors.Is(context.Cause(ctx), errStalled) {
			err = fmt.Errorf("no data for %v", g.stall())
		}
		return false, fmt.Errorf("GET %s: %w (partial download kept in %s: run again to resume)", rawURL, err, part)
	}
	if total >= 0 && off+n != total {
		return false, fmt.Errorf("GET %s: got %d of %d bytes (run again to resume)", rawURL, off+n, total)
	}
	g.emit(Event{Kind: Downloaded, File: f.Name, URL: rawURL, Bytes: off + n, Total: total})
	return false, nil
}

func (g *getter) stall() time.Duration {
	if g.opts.StallTimeout > 0 {
		return g.opts.StallTimeout
	}
	return 2 * time.Minute
}

// transfer is one response being written to a partial download.
type transfer struct {
	file, url, part string
	flags           int   // how to open part: append or truncate
	off, total      int64 // bytes already there; full length or -1
}

// receive copies the body to the partial file, reporting progress and
// cancelling the request when nothing arrives for the stall timeout.
func (g *getter) receive(cancel context.CancelCauseFunc, body io.Reader, t transfer) (int64, error) {
	out, err := os.OpenFile(t.part, t.flags, 0o644)
	if err != nil {
		return 0, err
	}
	stall := g.stall()
	timer := time.AfterFunc(stall, func() { cancel(errStalled) })
	defer timer.Stop()
	var n int64
	buf := make([]byte, 256<<10)
	for {
		k, rerr := body.Read(buf)
		if k > 0 {
			timer.Reset(stall)
			if _, err := out.Write(buf[:k]); err != nil {
				return n, errors.Join(err, out.Close())
			}
			n += int64(k)
			g.emit(Event{Kind: Received, File: t.file, URL: t.url, Bytes: t.off + n, Total: t.total})
		}
		if rerr == io.EOF {
			return n, out.Close()
		}
		if rerr != nil {
			return n, errors.Join(rerr, out.Close())
		}
	}
}

// rangeStart is the first byte of a 206 answer ("bytes 100-199/200"), or
// -1 if the header is missing or malformed.
func rangeStart(resp *http.Response) int64 {
	cr := strings.TrimPrefix(resp.Header.Get("Content-Range"), "bytes ")
	first, _, ok := strings.Cut(cr, "-")
	if !ok {
		return -1
	}
	n, err := strconv.ParseInt(first, 10, 64)
	if err != nil {
		return -1
	}
	return n
}
