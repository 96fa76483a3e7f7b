package origin

import (
	"strconv"
	"strings"
)

// Match reports whether the single pattern p allows the request Origin o.
// It is the plain statement of the rules that Set implements with maps,
// which the tests and fuzz targets hold Set to; the module itself only
// uses Set.
func (p Pattern) Match(o string) bool {
	if p.Null || p.File {
		return o == p.String()
	}
	scheme, host, port, ok := split(o)
	if !ok || len(o) > MaxLength || scheme != p.Scheme {
		return false
	}
	switch p.Port {
	case anyPort:
	case 0:
		if port != "" {
			return false
		}
	default:
		if port != strconv.Itoa(p.Port) {
			return false
		}
	}
	if !p.Subdomains {
		return host == p.Host
	}
	return len(host) > len(p.Host)+1 && strings.HasSuffix(host, "."+p.Host) && validHost(host)
}
