package ssrf

import "net/netip"

// This file exports, for the package's tests, names that the runtime's own
// code does not need exported.

// ClassifyIP classifies an IP address held as bytes, such as a net.IP
// (nil or malformed is Invalid).
func ClassifyIP(ip []byte) Class {
	a, ok := netip.AddrFromSlice(ip)
	if !ok {
		return Invalid
	}
	return ClassifyAddr(a)
}
