package twilio

import (
	"net/http"
	"net/url"
	"strings"
	"time"
)

// NewHTTPClient returns an http.Client that sends every request to base (the fake's URL)
// whatever scheme and host it names, keeping the path and query. twilio-go has no
// base-URL option: given as the HTTPClient of its client.Client, this one points it at
// the fake. Like twilio-go's own default client it follows no redirects.
func NewHTTPClient(base string) *http.Client {
	u, err := url.Parse(base)
	if err != nil || u.Scheme == "" || u.Host == "" {
		panic("fake twilio: base URL " + base + " is not absolute")
	}
	return &http.Client{
		Transport: &rewrite{base: u, next: http.DefaultTransport},
		Timeout:   10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// HTTPClient returns NewHTTPClient(s.URL()); the Server must have started.
func (s *Server) HTTPClient() *http.Client { return NewHTTPClient(s.URL()) }

// rewrite sends each request to base: its scheme and host, its path as a prefix.
type rewrite struct {
	base *url.URL
	next http.RoundTripper
}

func (t *rewrite) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	r.URL.Scheme = t.base.Scheme
	r.URL.Host = t.base.Host
	r.Host = ""
	if p := strings.TrimSuffix(t.base.Path, "/"); p != "" {
		r.URL.Path = p + r.URL.Path
		r.URL.RawPath = ""
	}
	return t.next.RoundTrip(r)
}
