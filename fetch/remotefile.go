package fetch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"

	"golang.org/x/sync/errgroup"

	"synco/httpsrv"
	"synco/manifest"
)

// remoteOrigin returns the one origin (scheme://host[:port]) that every remote
// file of streams is on, or "" if there is none. Remote files point the
// destination at URLs the source chose: they must all be on the publication's
// public base, so a manifest naming several origins (or a URL that is not
// http(s)) is refused as ErrTampered before any of them is fetched.
func remoteOrigin(streams []manifest.Stream) (string, error) {
	origin := ""
	for _, s := range streams {
		if s.Kind != manifest.KindRemote {
			continue
		}
		u, err := url.Parse(s.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
			return "", fmt.Errorf("%s: remote URL is not http(s)://host/…: %w", s.Path, ErrTampered)
		}
		o := u.Scheme + "://" + u.Host
		if origin == "" {
			origin = o
		} else if o != origin {
			return "", fmt.Errorf("remote files on two origins (%s and %s): %w", origin, o, ErrTampered)
		}
	}
	return origin, nil
}

// errLocalAddr is why remoteAllow refuses an address.
var errLocalAddr = errors.New("remote files may not point into the local network")

// remoteAllow is the address check for remote files: the source names their
// URLs, so they must not reach into the developer's network (a blind SSRF):
// loopback, private (RFC 1918, fc00::/7) and link-local addresses (cloud
// metadata services!) are refused, and so are unspecified, multicast and
// other non-unicast ones. If the publication server the user chose (token)
// is itself on a loopback or private address, remote files may be too; a
// link-local one only if the publication is on one.
func remoteAllow(token []netip.Addr) func(netip.Addr) error {
	var local, linkLocal bool
	for _, a := range token {
		a = a.Unmap()
		local = local || a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast()
		linkLocal = linkLocal || a.IsLinkLocalUnicast()
	}
	return func(a netip.Addr) error {
		a = a.Unmap()
		switch {
		case a.IsLoopback() || a.IsPrivate():
			if local {
				return nil
			}
		case a.IsLinkLocalUnicast():
			if linkLocal {
				return nil
			}
		case a.IsGlobalUnicast():
			return nil
		}
		return fmt.Errorf("%s: %w", a, errLocalAddr)
	}
}

// lookupHost resolves the token's host (a test hook).
var lookupHost = net.DefaultResolver.LookupNetIP

// tokenAddrs returns the addresses of the token's host: the server the user
// chose. A name that does not resolve gives none (the strictest check).
func tokenAddrs(ctx context.Context, tokenURL string) []netip.Addr {
	u, err := url.Parse(tokenURL)
	if err != nil {
		return nil
	}
	if a, err := netip.ParseAddr(u.Hostname()); err == nil {
		return []netip.Addr{a}
	}
	addrs, _ := lookupHost(ctx, "ip", u.Hostname())
	return addrs
}

// fetchRemote downloads the remote files of st (manifest.KindRemote: served by the
// application itself, e.g. from a CDN) into their staged files and checks each
// against its signed size and keyed hash. Transient failures are retried; a file
// that does not match is ErrTampered. The files come from f.remoteOrigin only,
// through a client that follows no redirect elsewhere and connects to no
// address remoteAllow refuses (httpsrv.ErrForbiddenAddr).
func (f *fetcher) fetchRemote(ctx context.Context, st *stage) error {
	if st == nil || len(st.remote) == 0 {
		return nil
	}
	c, err := httpsrv.NewClientWith(f.remoteOrigin, httpsrv.ClientOptions{
		Parallel: f.opt.Parallel,
		Idle:     f.opt.Idle,
		Allow:    remoteAllow(tokenAddrs(ctx, f.opt.Token.URL)),
	})
	if err != nil {
		return fmt.Errorf("remote files: %w", err)
	}
	defer c.Close()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(f.opt.Parallel)
	for _, of := range st.remote {
		g.Go(func() error {
			return httpsrv.Retry(gctx, f.opt.Backoff, func(int) error { return f.getRemote(gctx, c, st, of) })
		})
	}
	err = g.Wait()
	f.remoteBytes.Add(c.Downloaded())
	return err
}

func (f *fetcher) getRemote(ctx context.Context, c *httpsrv.Client, st *stage, of *outFile) error {
	op := "get " + of.o.Path
	body, err := c.Get(ctx, op, of.o.URL)
	if err != nil {
		return err
	}
	defer body.Close()
	fd, err := of.open(st)
	if err != nil {
		return err
	}
	if err := fd.Truncate(0); err != nil { // a retry starts over
		return fmt.Errorf("write %s: %w", of.o.Path, err)
	}
	h := f.keys.StreamHash()
	n, err := io.Copy(io.MultiWriter(io.NewOffsetWriter(fd, 0), h), io.LimitReader(body, int64(of.o.Size)+1))
	if err != nil {
		return err // a *httpsrv.TransportError from the body, or a local write error
	}
	if uint64(n) != of.o.Size || !bytes.Equal(h.Sum(nil), of.o.Hash[:]) {
		return fmt.Errorf("%s from %s: %w", of.o.Path, of.o.URL, ErrTampered)
	}
	of.mu.Lock()
	of.left = 0
	of.mu.Unlock()
	return st.finishFile(of)
}
