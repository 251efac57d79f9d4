package rasp

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"
)

// checkAddr judges an address; arg is its index among the sink's parameters.
func checkAddr(site *Site, arg int, network, address string) error {
	return check(site, func() (Finding, bool) { return detectors.Net.CheckAddr(site, arg, network, address) })
}

// checkURL judges a URL; arg is its index among the sink's parameters (< 0:
// not one of them).
func checkURL(site *Site, arg int, rawURL string) error {
	return check(site, func() (Finding, bool) { return detectors.Net.CheckURL(site, arg, rawURL) })
}

func dialErr(network, address string, err error) error {
	return &net.OpError{Op: "dial", Net: network, Err: err}
}

// NetDial is the hook for net.Dial.
func NetDial(site *Site, network, address string) (net.Conn, error) {
	if err := checkAddr(site, 1, network, address); err != nil {
		return nil, dialErr(network, address, err)
	}
	return net.Dial(network, address)
}

// NetDialTimeout is the hook for net.DialTimeout.
func NetDialTimeout(site *Site, network, address string, timeout time.Duration) (net.Conn, error) {
	if err := checkAddr(site, 1, network, address); err != nil {
		return nil, dialErr(network, address, err)
	}
	return net.DialTimeout(network, address, timeout)
}

// DialerDial is the hook for (*net.Dialer).Dial.
func DialerDial(site *Site, d *net.Dialer, network, address string) (net.Conn, error) {
	if err := checkAddr(site, 1, network, address); err != nil {
		return nil, dialErr(network, address, err)
	}
	return d.Dial(network, address)
}

// DialerDialContext is the hook for (*net.Dialer).DialContext.
func DialerDialContext(site *Site, d *net.Dialer, ctx context.Context, network, address string) (net.Conn, error) {
	if err := checkAddr(site, 2, network, address); err != nil {
		return nil, dialErr(network, address, err)
	}
	return d.DialContext(ctx, network, address)
}

func urlErr(method, rawURL string, err error) error {
	return &url.Error{Op: method, URL: rawURL, Err: err}
}

// HTTPGet is the hook for http.Get.
func HTTPGet(site *Site, url string) (*http.Response, error) {
	if err := checkURL(site, 0, url); err != nil {
		return nil, urlErr("Get", url, err)
	}
	return http.Get(url)
}

// HTTPHead is the hook for http.Head.
func HTTPHead(site *Site, url string) (*http.Response, error) {
	if err := checkURL(site, 0, url); err != nil {
		return nil, urlErr("Head", url, err)
	}
	return http.Head(url)
}

// HTTPPost is the hook for http.Post.
func HTTPPost(site *Site, url, contentType string, body io.Reader) (*http.Response, error) {
	if err := checkURL(site, 0, url); err != nil {
		return nil, urlErr("Post", url, err)
	}
	return http.Post(url, contentType, body)
}

// HTTPPostForm is the hook for http.PostForm.
func HTTPPostForm(site *Site, url string, data url.Values) (*http.Response, error) {
	if err := checkURL(site, 0, url); err != nil {
		return nil, urlErr("Post", url, err)
	}
	return http.PostForm(url, data)
}

// ClientDo is the hook for (*http.Client).Do.
func ClientDo(site *Site, c *http.Client, req *http.Request) (*http.Response, error) {
	if req != nil && req.URL != nil {
		if err := checkURL(site, -1, req.URL.String()); err != nil {
			return nil, urlErr(req.Method, req.URL.String(), err)
		}
	}
	return c.Do(req)
}

// ClientGet is the hook for (*http.Client).Get.
func ClientGet(site *Site, c *http.Client, url string) (*http.Response, error) {
	if err := checkURL(site, 0, url); err != nil {
		return nil, urlErr("Get", url, err)
	}
	return c.Get(url)
}

// ClientHead is the hook for (*http.Client).Head.
func ClientHead(site *Site, c *http.Client, url string) (*http.Response, error) {
	if err := checkURL(site, 0, url); err != nil {
		return nil, urlErr("Head", url, err)
	}
	return c.Head(url)
}

// ClientPost is the hook for (*http.Client).Post.
func ClientPost(site *Site, c *http.Client, url, contentType string, body io.Reader) (*http.Response, error) {
	if err := checkURL(site, 0, url); err != nil {
		return nil, urlErr("Post", url, err)
	}
	return c.Post(url, contentType, body)
}

// ClientPostForm is the hook for (*http.Client).PostForm.
func ClientPostForm(site *Site, c *http.Client, url string, data url.Values) (*http.Response, error) {
	if err := checkURL(site, 0, url); err != nil {
		return nil, urlErr("Post", url, err)
	}
	return c.PostForm(url, data)
}
