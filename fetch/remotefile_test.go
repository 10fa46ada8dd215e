package fetch_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"synco/chunkstore"
	"synco/fetch"
	"synco/httpsrv"
	"synco/publish"
)

// TestRemoteFiles publishes some files by their public URL: the fetch downloads them
// from there, checks them against the signed hash, and refuses a changed one.
func TestRemoteFiles(t *testing.T) {
	dir := t.TempDir()
	public := map[string][]byte{"img/a.jpg": bytes.Repeat([]byte("A"), 70_000), "img/b.jpg": []byte("bee")}
	writeTree(t, dir, public)
	writeTree(t, dir, map[string][]byte{"private.txt": []byte("only via synco")})

	served := map[string][]byte{}
	for k, v := range public {
		served["/pub/"+k] = v
	}
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := served[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(b)
	}))
	defer site.Close()

	st, err := publish.OpenState(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	pub, _ := publish.NewPublication(st)
	in := publish.Inputs{FileSets: []publish.FileSet{{Name: "files", Dir: dir, Public: func(rel string) (string, bool) {
		if strings.HasPrefix(rel, "img/") {
			return site.URL + "/pub/" + rel, true
		}
		return "", false
	}}}}
	res, err := publish.Build(t.Context(), pub, in, 2, nil)
	if err != nil || res.Remote != 2 {
		t.Fatalf("build: %+v, %v", res, err)
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { httpsrv.Serve(ctx, ln, httpsrv.Handler(pub.Prefix, pub)); close(done) }()
	defer func() { cancel(); <-done }()
	tok := pub.Token("http://" + ln.Addr().String() + "/" + pub.Prefix)
	opts := func(to string) fetch.Options {
		cache, _ := chunkstore.OpenCache(filepath.Join(t.TempDir(), "c"))
		return fetch.Options{Token: tok, To: to, Cache: cache, Parallel: 2,
			Backoff: httpsrv.Backoff{Attempts: 2, Initial: 1e6, Max: 1e6}}
	}

	to := filepath.Join(t.TempDir(), "out")
	stats, err := fetch.Run(t.Context(), opts(to))
	if err != nil {
		t.Fatal(err)
	}
	for rel, want := range public {
		if got, _ := os.ReadFile(filepath.Join(to, "files", rel)); !bytes.Equal(got, want) {
			t.Errorf("%s: %d bytes, want %d", rel, len(got), len(want))
		}
	}
	if got, _ := os.ReadFile(filepath.Join(to, "files", "private.txt")); string(got) != "only via synco" {
		t.Errorf("private.txt = %q", got)
	}
	if stats.FilesWritten != 3 || stats.BytesDownloaded < 70_000 {
		t.Errorf("stats %+v", stats)
	}

	// The site now serves something else for a.jpg: refused, nothing written.
	served["/pub/img/a.jpg"] = bytes.Repeat([]byte("B"), 70_000)
	to2 := filepath.Join(t.TempDir(), "out")
	if _, err := fetch.Run(t.Context(), opts(to2)); !errors.Is(err, fetch.ErrTampered) {
		t.Fatalf("changed public file: %v, want ErrTampered", err)
	}
	if _, err := os.Stat(to2); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("target exists after a refused fetch")
	}
}
