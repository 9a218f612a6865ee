package idp

import (
	"net"
	"net/url"

	"github.com/probity-dev/probity"
)

// CheckIssuer checks an identity provider's issuer URL as a field of a
// request or a flag: https (http only on a loopback host, for tests), a
// host, no query or fragment.
func CheckIssuer(field, issuer string) error {
	u, err := url.Parse(issuer)
	switch {
	case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
		return probity.Errorf(probity.EINVALID, "%s: %s is not an issuer URL; want https://host[/path], as the provider's discovery document names it", field, probity.Quote(issuer))
	case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		return probity.Errorf(probity.EINVALID, "%s: %s has a query, fragment or user; want https://host[/path]", field, probity.Quote(issuer))
	case u.Scheme == "http" && !loopbackHost(u.Hostname()):
		return probity.Errorf(probity.EINVALID, "%s: %s is plain http; an issuer must be https (http only on 127.0.0.1, ::1 or localhost)", field, probity.Quote(issuer))
	}
	return nil
}

func loopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
