package publish

import "synco/manifest"

// Token returns the token of p reachable at url: the store's keys and p's ID, so a
// destination refuses any other root, also an older one of the same store.
func (p *Publication) Token(url string) manifest.Token {
	t := p.state.Token(url)
	p.mu.Lock()
	t.PubID = p.root.PubID
	p.mu.Unlock()
	return t
}
