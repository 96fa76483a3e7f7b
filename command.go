package cors

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	caddycmd "github.com/caddyserver/caddy/v2/cmd"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/corsedge/caddy-cors/internal/check"
	"github.com/corsedge/caddy-cors/internal/fetch"
)

// Exit statuses of `caddy cors check`.
const (
	exitAllowed   = 0
	exitBlocked   = 1 // or --expect not met
	exitCannotRun = 2
)

func init() {
	caddycmd.RegisterCommand(caddycmd.Command{
		Name:  "cors",
		Usage: "check [flags] <url>",
		Short: "Tools for the cors handler: check what a browser concludes about a request",
		Long: `
Tools for the cors handler (http.handlers.cors). See 'caddy cors check --help'.
`,
		CobraFunc: func(cmd *cobra.Command) {
			cmd.AddCommand(newCheckCommand())
		},
	})
}

const checkLong = `
Tells what a browser (Chromium, or the engine --browser names) concludes
about a fetch() from a page on --origin to <url> against your config, and
why, before you deploy it:

	fetch(<url>, {method, headers, credentials: "include"})

The config is loaded the way 'caddy validate' loads it: adapted, every
module provisioned, nothing listening, no admin endpoint, no certificates
obtained. The server and site are chosen as a real connection to <url>
would reach them (scheme, host, port against the configured listen
addresses; TLS is simulated for https), and the requests go through the
real handler chain in this process.

The requests are built as the browser builds them: a preflight when the
method or a header is not CORS-safelisted (the Fetch standard's rules,
Content-Type values included), with Access-Control-Request-Method and
Access-Control-Request-Headers (names lower-cased, sorted, comma-joined),
then the actual request. The browser's CORS check and CORS-preflight
checks are applied to the responses in Chromium's order. It prints each
request, the CORS-relevant response headers and status, and the verdict;
when blocked, the browser's console message, and, when a cors handler
refused the request, its own reason (the origin, method or header, named),
which is the line that tells you what to change. Configs without the cors
handler work too: it then tells what a 'header' snippet does wrong.

Side effects: provisioning is real. Log files the config names are opened
(and created); 'tls internal' creates the local CA in Caddy's storage if
there is none; reverse_proxy starts its active health checks while the
check runs; the actual request runs the real handlers, so it reaches your
upstreams (a down upstream gives the 502 a browser would get).

--preflight-only sends the preflight and never the actual request, so no
upstream is contacted, but only where something before the upstream
answers the preflight (as the cors handler does, unless
passthrough_preflight); otherwise the preflight itself goes upstream.

--browser chromium|firefox|webkit (default chromium) follows that engine
where the browser suite found the engines to differ, and speaks its words.
Rules: Chromium alone safelists the client hints (DPR, Width, Viewport-Width,
Device-Memory, RTT, Downlink, ECT, Save-Data) with plausible values, so a
fetch that sets one is preflighted in Firefox and WebKit. Words: Chromium's
console line ("Access to fetch at ... has been blocked by CORS policy:
..."), Firefox's ("Cross-Origin Request Blocked: ... (Reason: ...)", and
for a failed preflight the line after it), both held against the browsers
by the browser suite. WebKit's console cannot be read by the automation
the suite drives it with (WebDriver classic), so for WebKit the check
gives the verdict and the kind of failure only (fetch() rejects with
"TypeError: Load failed"). With --credentials, --browser webkit notes
when WebKit counts the page and the URL as two sites: it then keeps no
cookie from the response (Safari's default), which the verdict does not
depend on.

Cookies are not simulated: --credentials sets the credentials mode, which
decides the checks, but sends no cookie.

Exit status: 0 allowed, 1 blocked, 2 the check could not run (bad flags,
no --origin, a config that does not load, a URL that no configured server
listens for). --expect allowed|blocked makes a different verdict exit 1
with a one-line diff, to keep CORS expectations in CI next to
'caddy validate'. --json prints the result as one JSON object.

Example:

	caddy cors check --config Caddyfile.example --origin http://localhost:8080 \
		--method PUT --header X-Secret:1 http://localhost:8000/api/hello
`

// newCheckCommand is `caddy cors check`. Flags are parsed here rather
// than by cobra, whose flag errors exit 1, which is the blocked status.
func newCheckCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:                "check [flags] <url>",
		Short:              "What a browser concludes about a cross-origin fetch() against your config, and why",
		Long:               checkLong,
		DisableFlagParsing: true,
	}
	cmd.Flags().AddFlagSet(checkFlags(io.Discard))
	cmd.RunE = func(c *cobra.Command, args []string) error {
		return caddycmd.WrapCommandFuncForCobra(func(caddycmd.Flags) (int, error) {
			return runCheck(args, os.Stdout, func() { _ = c.Help() })
		})(c, nil)
	}
	return cmd
}

func checkFlags(out io.Writer) *pflag.FlagSet {
	fs := pflag.NewFlagSet("check", pflag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringP("config", "c", "", "Configuration file (default: ./Caddyfile)")
	fs.StringP("adapter", "a", "", "Name of config adapter")
	fs.String("origin", "", "Origin of the calling page, as the browser sends it (required), e.g. https://app.example.com")
	fs.String("method", "GET", "Method of the fetch()")
	fs.StringArray("header", nil, "Request header the script sets, name:value (repeatable)")
	fs.Bool("credentials", false, `The fetch() uses credentials: "include"`)
	fs.Bool("preflight-only", false, "Send the preflight only, never the actual request")
	fs.String("browser", "chromium", "The engine whose rules and words to follow: chromium, firefox or webkit (verdict and kind only)")
	fs.Bool("json", false, "Print the result as one JSON object")
	fs.String("expect", "", "allowed or blocked: exit 1 with a one-line diff when the verdict differs")
	fs.BoolP("help", "h", false, "Help for check")
	return fs
}

// checkOptions are the parsed flags of a check.
type checkOptions struct {
	config, adapter string
	req             check.Request
	json            bool
	expect          string
}

// runCheck is `caddy cors check` with its arguments: it prints the result
// to stdout and returns the exit status, with an error for Caddy to log
// unless the verdict was allowed as expected.
func runCheck(args []string, stdout io.Writer, help func()) (int, error) {
	opts, err := parseCheckArgs(args)
	if errors.Is(err, pflag.ErrHelp) {
		help()
		return exitAllowed, nil
	}
	if err != nil {
		return exitCannotRun, err
	}
	cfgJSON, _, _, err := caddycmd.LoadConfig(opts.config, opts.adapter)
	if err != nil {
		return exitCannotRun, err
	}
	if len(cfgJSON) == 0 {
		return exitCannotRun, errors.New("no config: there is no Caddyfile in the current directory; use --config")
	}
	res, err := checkConfig(cfgJSON, opts.req)
	if err != nil {
		return exitCannotRun, err
	}
	if opts.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return exitCannotRun, err
		}
	} else {
		res.WriteText(stdout)
	}
	return verdictStatus(res, opts.expect)
}

func checkConfig(cfgJSON []byte, req check.Request) (*check.Result, error) {
	c, err := check.Load(cfgJSON)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return c.Run(req)
}

// verdictStatus maps a verdict to the exit status, --expect included.
func verdictStatus(res *check.Result, expect string) (int, error) {
	if expect != "" {
		if res.Verdict == expect {
			return exitAllowed, nil
		}
		why := ""
		if res.Reason != nil {
			why = ": " + cmp.Or(res.Reason.Message, res.Reason.Kind)
		}
		return exitBlocked, fmt.Errorf("--expect %s, got %s%s", expect, res.Verdict, why)
	}
	if res.Verdict == check.Allowed {
		return exitAllowed, nil
	}
	return exitBlocked, errors.New("blocked: the browser refuses this request (see above)")
}

// parseCheckArgs parses and checks the flags: every mistake is exit 2.
func parseCheckArgs(args []string) (checkOptions, error) {
	fs := checkFlags(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return checkOptions{}, err
		}
		return checkOptions{}, fmt.Errorf("%v (see caddy cors check --help)", err)
	}
	if h, _ := fs.GetBool("help"); h {
		return checkOptions{}, pflag.ErrHelp
	}
	var o checkOptions
	o.config, _ = fs.GetString("config")
	o.adapter, _ = fs.GetString("adapter")
	o.req.Origin, _ = fs.GetString("origin")
	o.req.Method, _ = fs.GetString("method")
	o.req.Credentials, _ = fs.GetBool("credentials")
	o.req.PreflightOnly, _ = fs.GetBool("preflight-only")
	o.json, _ = fs.GetBool("json")
	o.expect, _ = fs.GetString("expect")
	browser, _ := fs.GetString("browser")
	var ok bool
	if o.req.Browser, ok = fetch.ParseEngine(browser); !ok {
		return o, fmt.Errorf("--browser %q: want one of %s", browser, strings.Join(fetch.EngineNames, ", "))
	}
	if o.req.Origin == "" {
		return o, errors.New("--origin is required: the origin of the page that calls fetch(), e.g. --origin https://app.example.com")
	}
	switch o.expect {
	case "", check.Allowed, check.Blocked:
	default:
		return o, fmt.Errorf("--expect %q: want allowed or blocked", o.expect)
	}
	if !fetch.IsToken(o.req.Method) {
		return o, fmt.Errorf("--method %q: not a method name", o.req.Method)
	}
	headers, _ := fs.GetStringArray("header")
	for _, h := range headers {
		name, value, _ := strings.Cut(h, ":")
		name = strings.TrimSpace(name)
		if !fetch.IsToken(name) {
			return o, fmt.Errorf("--header %q: want name:value with a header name before the colon", h)
		}
		o.req.Headers = append(o.req.Headers, fetch.Header{Name: name, Value: strings.TrimSpace(value)})
	}
	switch fs.NArg() {
	case 1:
		o.req.URL = fs.Arg(0)
	case 0:
		return o, errors.New("the URL to check is required, e.g. caddy cors check --origin https://app.example.com https://api.example.com/users")
	default:
		return o, fmt.Errorf("one URL, not %d: %s", fs.NArg(), strings.Join(fs.Args(), " "))
	}
	return o, nil
}
