package origin

import (
	"crypto/rand"
	"strconv"
	"strings"
)

// Probes returns origins that no honest configuration means: fresh random
// labels under .invalid, .example and .com, one and two levels deep, with
// and without a port, over http and https, plus "null" and "file://". A
// configured expression that matches one of them matches origins nobody
// listed. They are drawn anew from crypto/rand at each call, with no seed
// an attacker could know and write an expression around.
func Probes() []string {
	var probes []string
	for _, scheme := range [...]string{"http", "https"} {
		for _, tld := range [...]string{"invalid", "example", "com"} {
			probes = append(probes,
				scheme+"://"+randomLabel()+"."+tld,
				scheme+"://"+randomLabel()+"."+randomLabel()+"."+tld,
				scheme+"://"+randomLabel()+"."+tld+":"+strconv.Itoa(1024+int(randomByte())*200),
			)
		}
	}
	return append(probes, "null", fileOrigin)
}

// randomLabel is a DNS label of 12 random lower-case letters and digits
// that starts with a letter.
func randomLabel() string {
	const letters = "abcdefghijklmnopqrstuvwxyz"
	const alnum = letters + "0123456789"
	var b strings.Builder
	b.WriteByte(letters[int(randomByte())%len(letters)])
	for range 11 {
		b.WriteByte(alnum[int(randomByte())%len(alnum)])
	}
	return b.String()
}

func randomByte() byte {
	var b [1]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return b[0]
}
