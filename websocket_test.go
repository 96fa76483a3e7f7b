package cors

import (
	"bufio"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// A minimal WebSocket (RFC 6455) for the writer tests, so that the main
// module needs no WebSocket library: the handshake, and unfragmented
// frames of up to 65535 bytes.

// websocketGUID is the string RFC 6455 appends to Sec-WebSocket-Key.
const websocketGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// WebSocket opcodes used here.
const (
	wsText  = 0x1
	wsClose = 0x8
)

// websocketAccept is the Sec-WebSocket-Accept answering key.
func websocketAccept(key string) string {
	sum := sha1.Sum([]byte(key + websocketGUID))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// websocketEcho is a backend that takes a WebSocket handshake by hand
// (hijacking the connection, as a WebSocket library does) and echoes
// each frame until a close frame. Its 101 carries CORS headers of its
// own and a Vary, which the cors handler in front must replace and merge.
func websocketEcho(w http.ResponseWriter, r *http.Request) {
	key := r.Header.Get("Sec-WebSocket-Key")
	if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") || r.Header.Get("Sec-WebSocket-Version") != "13" || key == "" {
		http.Error(w, "not a WebSocket handshake", http.StatusBadRequest)
		return
	}
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	defer conn.Close()
	fmt.Fprintf(brw, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Accept: %s\r\nAccess-Control-Allow-Origin: *\r\nAccess-Control-Allow-Credentials: true\r\nVary: Accept-Encoding\r\n\r\n", websocketAccept(key))
	if brw.Flush() != nil {
		return
	}
	for {
		op, payload, masked, err := readFrame(brw.Reader)
		if err != nil || !masked { // a client's frames are masked
			return
		}
		if writeFrame(brw, op, payload, false) != nil || brw.Flush() != nil || op == wsClose {
			return
		}
	}
}

// writeFrame writes one unfragmented frame; a client masks its frames
// (with a fixed key here: the server may not rely on it anyway).
func writeFrame(w io.Writer, op byte, payload []byte, mask bool) error {
	head := []byte{0x80 | op, 0}
	switch {
	case len(payload) < 126:
		head[1] = byte(len(payload))
	case len(payload) <= 0xffff:
		head[1] = 126
		head = binary.BigEndian.AppendUint16(head, uint16(len(payload)))
	default:
		return errors.New("frame too long for this test's WebSocket")
	}
	body := payload
	if mask {
		head[1] |= 0x80
		key := [4]byte{0x12, 0x34, 0x56, 0x78}
		head = append(head, key[:]...)
		body = make([]byte, len(payload))
		for i, b := range payload {
			body[i] = b ^ key[i%4]
		}
	}
	_, err := w.Write(append(head, body...))
	return err
}

// readFrame reads one unfragmented frame and unmasks it.
func readFrame(r *bufio.Reader) (op byte, payload []byte, masked bool, err error) {
	var head [2]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return 0, nil, false, err
	}
	if head[0]&0x80 == 0 {
		return 0, nil, false, errors.New("fragmented frame")
	}
	op, masked = head[0]&0x0f, head[1]&0x80 != 0
	n := int(head[1] & 0x7f)
	switch n {
	case 126:
		var ext [2]byte
		if _, err := io.ReadFull(r, ext[:]); err != nil {
			return 0, nil, false, err
		}
		n = int(binary.BigEndian.Uint16(ext[:]))
	case 127:
		return 0, nil, false, errors.New("frame too long for this test's WebSocket")
	}
	var key [4]byte
	if masked {
		if _, err := io.ReadFull(r, key[:]); err != nil {
			return 0, nil, false, err
		}
	}
	payload = make([]byte, n)
	if _, err := io.ReadFull(r, payload); err != nil {
		return 0, nil, false, err
	}
	if masked {
		for i := range payload {
			payload[i] ^= key[i%4]
		}
	}
	return op, payload, masked, nil
}
