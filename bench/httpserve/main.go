// Command httpserve is the plain-HTTP baseline of synco's benchmarks: it
// serves the files under -dir (GET, with ranges) and, under /tar/NAME, a tar
// stream of the directory -tar NAME=DIR made on the fly by tar(1). It runs
// until SIGTERM or SIGINT.
//
//	httpserve -addr 127.0.0.1:18480 -dir DIR [-tar small=DIR]
package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:18480", "listen address")
	dir := flag.String("dir", ".", "directory served under /")
	tarSpec := flag.String("tar", "", "NAME=DIR: serve a tar stream of DIR under /tar/NAME")
	flag.Parse()

	mux := http.NewServeMux()
	mux.Handle("/", http.FileServer(http.Dir(*dir)))
	if name, tdir, ok := strings.Cut(*tarSpec, "="); ok {
		mux.HandleFunc("/tar/"+name, func(w http.ResponseWriter, r *http.Request) {
			cmd := exec.CommandContext(r.Context(), "tar", "-C", tdir, "-cf", "-", ".")
			cmd.Stdout = w
			w.Header().Set("Content-Type", "application/x-tar")
			if err := cmd.Run(); err != nil {
				fmt.Fprintln(os.Stderr, "httpserve: tar:", err)
			}
		})
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	srv := &http.Server{Addr: *addr, Handler: mux}
	go func() {
		<-ctx.Done()
		_ = srv.Shutdown(context.Background())
	}()
	fmt.Fprintln(os.Stderr, "httpserve: listening on", *addr)
	if err := srv.ListenAndServe(); err != nil && err != http.ErrServerClosed {
		fmt.Fprintln(os.Stderr, "httpserve:", err)
		os.Exit(1)
	}
}
