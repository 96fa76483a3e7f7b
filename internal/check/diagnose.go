package check

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/corsedge/caddy-cors/internal/fetch"
)

// diagnose explains, from the responses, what in the config makes CORS go
// wrong when no cors handler decided the headers (a `header` snippet, a
// backend's own CORS code, nothing at all), and gathers the cors handler's
// own reasons.
func diagnose(res *Result, hasCORS bool) {
	anyACAO := false
	for _, ex := range res.Exchanges {
		res.CORSDenials = append(res.CORSDenials, ex.CORSDenials...)
		h := http.Header{}
		for _, l := range ex.ResponseHeaders {
			h.Add(l.Name, l.Value)
		}
		acao := h.Values("Access-Control-Allow-Origin")
		if len(acao) > 0 {
			anyACAO = true
		}
		what := ex.Kind + " response"
		if len(acao) > 1 || (len(acao) == 1 && strings.ContainsAny(acao[0], ", ")) {
			res.Diagnoses = append(res.Diagnoses, fmt.Sprintf("the %s carries Access-Control-Allow-Origin %d times (%s): more than one place adds it (a `header` directive and the backend, or two `header` lines); browsers accept exactly one value. Let one place own it: the cors directive replaces the others' values", what, len(acao), strings.Join(acao, " | ")))
		}
		if len(acao) == 1 && acao[0] == "*" && h.Get("Access-Control-Allow-Credentials") == "true" {
			res.Diagnoses = append(res.Diagnoses, fmt.Sprintf("the %s has Access-Control-Allow-Origin: * with Access-Control-Allow-Credentials: true: browsers never accept * for a credentialed request; send the allowed origin itself (the cors directive with credentials does)", what))
		}
		if ex.Kind == "actual" && len(acao) == 1 && acao[0] != "*" && !fetch.VaryHas(h.Values("Vary"), "Origin") {
			res.Diagnoses = append(res.Diagnoses, fmt.Sprintf("the %s allows one origin (%s) without Vary: Origin: a shared cache can serve this response to another origin, which the browser then refuses; add Vary: Origin (the cors directive does)", what, acao[0]))
		}
		if ex.Kind == "preflight" && len(acao) > 0 && (ex.Status < 200 || ex.Status > 299) {
			res.Diagnoses = append(res.Diagnoses, fmt.Sprintf("the preflight got status %d: nothing in the route answers OPTIONS preflights (a `header` directive only adds headers); the cors directive answers them itself", ex.Status))
		}
	}
	if !hasCORS {
		res.Notes = append(res.Notes, "this config has no cors handler")
		if !anyACAO {
			res.Diagnoses = append(res.Diagnoses, "nothing in this config sets CORS headers for this request: add a cors directive to the site (see the README's recipes)")
		}
		return
	}
	for _, ex := range res.Exchanges {
		if len(ex.CORSHandled) == 0 {
			res.Diagnoses = append(res.Diagnoses, fmt.Sprintf("no cors handler saw the %s request: check that a cors directive's matcher covers %s on this site (cors /api/* does not cover /api), and that no handler before it answered", ex.Kind, pathOf(ex.URL)))
			break
		}
	}
}

func pathOf(raw string) string {
	if i := strings.Index(raw, "://"); i >= 0 {
		if j := strings.IndexByte(raw[i+3:], '/'); j >= 0 {
			return raw[i+3+j:]
		}
	}
	return "/"
}
