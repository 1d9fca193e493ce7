#!/usr/bin/env python3
"""Generates the seed corpora of tests/fuzz deterministically.

The seeds are binary; this script is their reviewable source. Each seed
is built from named steps that mirror the input format the target parses
(see the comment at the top of each fuzz_*.c). Rerun after changing a
format; --check (used by CI) fails if the committed seeds differ.

    tests/fuzz/gen_corpus.py            # rewrite tests/fuzz/corpus/
    tests/fuzz/gen_corpus.py --check    # compare only
"""
import argparse
import filecmp
import os
import shutil
import struct
import sys
import tempfile

PAGE = 4096


def u8(v):
    return struct.pack('<B', v & 0xff)


def u16(v):
    return struct.pack('<H', v & 0xffff)


def u32(v):
    return struct.pack('<I', v & 0xffffffff)


def u64(v):
    return struct.pack('<Q', v & 0xffffffffffffffff)


# ---------------------------------------------------------------------------
# fuzz_vmbus_ring: [cfg][u32 w][u32 r][u32 imask][u32 pending][u32 feat]
#                  [u16 dlen][dlen bytes at the read index] then ops.
# ---------------------------------------------------------------------------

SCRATCH = {0: 0, 64: 1, 1024: 2, 16384: 3}


def ring_cfg(data_pages=3, scratch=1024, writer=True, fmt=True):
    return ((data_pages - 1) | SCRATCH[scratch] << 2 |
            (0x10 if writer else 0) | (0x20 if fmt else 0))


def ring_hdr(cfg, w=0, r=0, imask=0, pending=0, feat=1, image=b''):
    return (u8(cfg) + u32(w) + u32(r) + u32(imask) + u32(pending) +
            u32(feat) + u16(len(image)) + image)


def desc(type_, off8, len8, flags=0, tid=0):
    return struct.pack('<HHHHQ', type_, off8, len8, flags, tid)


def pkt(payload, type_=6, flags=0, tid=1, start=0, off8=2):
    """A packet as a writer lays it: descriptor, payload padded, trailer."""
    pad = (-len(payload)) % 8
    body = desc(type_, off8, (16 + len(payload) + pad) // 8, flags, tid)
    return body + payload + b'\0' * pad + u64(start << 32)


class R:
    """Op encoders of fuzz_vmbus_ring (op byte = index mod 12)."""
    @staticmethod
    def read(n=8):
        return u8(0) + u8(n - 1)

    COMMIT = u8(2)

    @staticmethod
    def mutate(off, data):
        return u8(3) + u16(off) + u8(len(data)) + data

    @staticmethod
    def guest_pkt(plen8, hdr8=0, seed=0):
        return u8(4) + u8(plen8) + u8(hdr8) + u8(seed)

    @staticmethod
    def set_ctl(which, v):
        # which % 6: 0 write_index, 1 read_index, 2 interrupt_mask,
        # 3 pending_send_sz, 4 feature_bits, 5 an aligned in-range write
        # index (read index when which & 0x80, e.g. 0x83)
        return u8(5) + u8(which) + u32(v)

    @staticmethod
    def mask(how):  # bit0 mask, else bit1 unmask, else bytes_to_read
        return u8(6) + u8(how)

    @staticmethod
    def put_args(payload, hdr8=0, nsg=1, comp=False, flag=0, hs=0, ps=0,
                 big=False, misalign=False):
        f = (nsg & 3) | (hdr8 & 3) << 2 | (flag & 1) << 4
        f |= (0x20 if misalign else 0) | (0x40 if comp else 0)
        f |= 0x80 if big else 0
        return u8(f) + u8(hs) + u8(ps) + u16(payload)

    @staticmethod
    def put(payload, **kw):
        return u8(7) + R.put_args(payload, **kw)

    W_COMMIT = u8(8)

    @staticmethod
    def free_pending(pending):
        return u8(9) + u16(pending)

    @staticmethod
    def burst(*puts):
        return u8(10) + u8(len(puts) - 1) + b''.join(puts)

    REATTACH = u8(11)


def ring_seeds():
    s = {}
    # Loopback, no hostile step: the model checks every packet.
    s['loopback_basic'] = (ring_hdr(ring_cfg()) +
                           R.put(40, ps=3) + R.put(0, hdr8=2, nsg=0) +
                           R.W_COMMIT + R.read() + R.COMMIT)
    # Fill a 1-page ring until full, drain, and go around past the end:
    # wrapped packets through a scratch buffer that fits them.
    fill = b''.join(R.put(600, nsg=2, ps=i) for i in range(7))
    s['loopback_wrap'] = (ring_hdr(ring_cfg(1, 1024)) + fill + R.W_COMMIT +
                          R.read(3) + R.COMMIT + fill + R.W_COMMIT +
                          R.read() + R.read() + R.COMMIT + R.read() + R.COMMIT)
    # Same with a 64-byte scratch: wrapped packets are dropped.
    s['loopback_wrap_drop'] = (ring_hdr(ring_cfg(1, 64)) + fill + R.W_COMMIT +
                               R.read(3) + R.COMMIT + fill + R.W_COMMIT +
                               R.read() + R.COMMIT + R.read() + R.COMMIT)
    s['loopback_no_scratch'] = (ring_hdr(ring_cfg(2, 0), w=8184, r=8184) +
                                R.put(100) + R.W_COMMIT + R.read() + R.COMMIT)
    s['loopback_burst'] = (ring_hdr(ring_cfg(3, 16384)) +
                           R.burst(R.put_args(1000), R.put_args(3000, nsg=3),
                                   R.put_args(5000), R.put_args(7, hdr8=1)) +
                           R.read() + R.COMMIT +
                           R.burst(R.put_args(9000), R.put_args(9000)) +
                           R.read() + R.COMMIT)
    # Writer refusals: misaligned header, payload beyond len8, full ring.
    s['writer_refusals'] = (ring_hdr(ring_cfg(1)) +
                            R.put(8, hdr8=1, misalign=True) +
                            R.put(0xffff, big=True) + R.put(4000) +
                            R.put(100) + R.W_COMMIT + R.read() + R.COMMIT)
    # Signalling: interrupt mask, pending_send_sz crossing.
    s['signals'] = (ring_hdr(ring_cfg(1)) + R.mask(1) + R.put(64) +
                    R.W_COMMIT + R.mask(2) + R.put(3000) + R.W_COMMIT +
                    R.free_pending(2000) + R.put(2000) + R.W_COMMIT +
                    R.read(1) + R.COMMIT + R.read() + R.COMMIT + R.mask(0))
    # Hostile reader index seen by the writer.
    s['writer_hostile_read_index'] = (ring_hdr(ring_cfg(1)) + R.put(64) +
                                      R.W_COMMIT + R.set_ctl(1, 13) +
                                      R.put(4000) + R.free_pending(1) +
                                      R.put(8))
    s['writer_read_index_inrange'] = (ring_hdr(ring_cfg(2)) + R.put(64) +
                                      R.W_COMMIT + R.set_ctl(0x83, 4096) +
                                      R.put(3000) + R.put(3000) + R.W_COMMIT +
                                      R.burst(R.put_args(2000), R.put_args(10)))
    # Guest-written packets, in place and wrapping.
    s['guest_packets'] = (ring_hdr(ring_cfg(1, 1024, writer=False)) +
                          R.guest_pkt(10, 1, 5) + R.guest_pkt(200) +
                          R.read() + R.COMMIT + R.guest_pkt(255, 3) +
                          R.guest_pkt(90) + R.read() + R.COMMIT)
    s['guest_wrap_oversize'] = (ring_hdr(ring_cfg(1, 64, writer=False),
                                         w=4000, r=4000) +
                                R.guest_pkt(30) + R.guest_pkt(2) +
                                R.read() + R.COMMIT)
    # Initial images with a hostile first descriptor.
    good = pkt(b'A' * 24)
    s['image_good'] = ring_hdr(ring_cfg(1, writer=False), w=len(good),
                               image=good) + R.read() + R.COMMIT
    s['image_off_too_small'] = ring_hdr(ring_cfg(1, writer=False), w=48,
                                        image=desc(6, 1, 4) + b'\0' * 32) + R.read()
    s['image_off_past_len'] = ring_hdr(ring_cfg(1, writer=False), w=48,
                                       image=desc(6, 5, 4) + b'\0' * 32) + R.read()
    s['image_len_past_avail'] = (ring_hdr(ring_cfg(1, writer=False), w=48,
                                          image=desc(6, 2, 200) + b'\0' * 32) +
                                 R.read() + R.read() + R.COMMIT + R.mask(2))
    s['image_len_zero'] = ring_hdr(ring_cfg(1, writer=False), w=48,
                                   image=desc(6, 0, 0) + b'\0' * 32) + R.read()
    # Image that wraps: descriptor at the end of the data area.
    wrap = pkt(b'W' * 64, start=4096 - 16)
    s['image_wrap'] = (ring_hdr(ring_cfg(1, 1024, writer=False), w=len(wrap) - 16,
                                r=4096 - 16, image=wrap) + R.read() + R.COMMIT)
    # Bad indices at attach.
    s['attach_bad_write_index'] = (ring_hdr(ring_cfg(1), w=5) + R.read() +
                                   R.put(8) + R.COMMIT + R.mask(2))
    s['attach_bad_read_index'] = (ring_hdr(ring_cfg(2), r=0x10000) +
                                  R.read() + R.put(8) + R.W_COMMIT)
    # Index changes between reads: unaligned, out of range, backwards.
    s['hostile_write_index'] = (ring_hdr(ring_cfg(1, writer=False)) +
                                R.guest_pkt(8) + R.read(1) + R.set_ctl(0, 4097) +
                                R.read() + R.COMMIT + R.read() + R.mask(0))
    s['write_index_backwards'] = (ring_hdr(ring_cfg(1, writer=False)) +
                                  R.guest_pkt(100) + R.guest_pkt(100) +
                                  R.read(1) + R.set_ctl(5, 8) + R.read() +
                                  R.COMMIT + R.read())
    # The write index moves back into what the reader consumed but has
    # not released: the reader reads on across its own published index.
    s['write_index_behind_reader'] = (ring_hdr(ring_cfg(1, 64, writer=False)) +
                                      R.guest_pkt(4) + R.guest_pkt(4) + R.read() +
                                      R.guest_pkt(2) + R.set_ctl(5, 64) +
                                      R.read() + R.read() + R.COMMIT + R.read())
    # One burst that wraps twice: A (wrapped, to the scratch buffer) is
    # read under the cached write index 88; the reload then finds 80, which
    # reads as a whole ring ahead, so B and C follow and C (wrapped again)
    # overwrites the scratch copy A's view still points at.
    a_pkt = pkt(b'a' * 160, tid=0xA, start=4000)
    c_desc = desc(6, 2, 15)[:8] + a_pkt[:8]  # C's trans_id overlays A's header
    s['double_wrap_one_burst'] = (ring_hdr(ring_cfg(1, 1024, writer=False),
                                           w=88, r=4000, image=a_pkt) +
                                  R.set_ctl(5, 80) +
                                  R.mutate(88, desc(6, 2, (3992 - 88 - 8) // 8, tid=0xB)) +
                                  R.mutate(3992, c_desc) + R.read(8) + R.COMMIT)
    # Descriptor rewritten after the reader saw it (concurrent writer).
    s['mutate_between_reads'] = (ring_hdr(ring_cfg(1, writer=False)) +
                                 R.guest_pkt(20) + R.guest_pkt(20) + R.read(1) +
                                 R.mutate(0, desc(6, 2, 0x400)) + R.read() +
                                 R.mutate(192, desc(6, 9, 3)) + R.read() +
                                 R.COMMIT)
    s['pending_bad_write_index'] = (ring_hdr(ring_cfg(1), pending=100) +
                                    R.put(64) + R.W_COMMIT + R.read() +
                                    R.set_ctl(0, 3) + R.COMMIT + R.read())
    s['reattach'] = (ring_hdr(ring_cfg(2)) + R.put(64) + R.W_COMMIT +
                     R.read() + R.REATTACH + R.read() + R.COMMIT +
                     R.set_ctl(1, 7) + R.REATTACH + R.read())
    s['no_feature_bits'] = (ring_hdr(ring_cfg(1, fmt=False), feat=0,
                                     pending=4000) + R.put(64) + R.W_COMMIT +
                            R.read() + R.COMMIT)
    return s


# ---------------------------------------------------------------------------
# fuzz_vmbus_msg: [cfg0][cfg1] then records [u8 sel][u8 len][len bytes].
# ---------------------------------------------------------------------------

CONN1, CONN4 = 0x00, 0x01

INITIATE_CONTACT, REQUESTOFFERS, OPENCHANNEL, CLOSECHANNEL = 14, 3, 5, 7
GPADL_HEADER, GPADL_BODY, GPADL_TEARDOWN, UNLOAD = 8, 9, 11, 16
RELID_RELEASED, MODIFYCHANNEL, OFFERCHANNEL = 13, 22, 1

V5_3, V4_0 = 5 << 16 | 3, 4 << 16


def msg_cfg(memfd=False, two_devs=False, plain=False, max_v4=False):
    return ((1 if memfd else 0) | (2 if two_devs else 0) |
            (8 if plain else 0) | (0x10 if max_v4 else 0))


def rec(sel, body):
    assert len(body) < 256
    return u8(sel) + u8(len(body)) + body


def hdr(t):
    return u32(t) + u32(0)


def M(t, body=b'', conn=CONN1):
    return rec(conn, hdr(t) + body)


def initiate(version=V5_3, conn=CONN4, sint=2, vcpu=0):
    if version >= 5 << 16:
        mid = u8(sint) + b'\0' * 7
    else:
        mid = u64(0x1000)  # interrupt page
    return M(INITIATE_CONTACT, u32(version) + u32(vcpu) + mid + u64(0) + u64(0),
             conn)


def gpadl_ranges(ranges):
    """ranges: list of (byte_count, byte_offset, [pfns])."""
    out = b''
    for count, off, pfns in ranges:
        out += u32(count) + u32(off) + b''.join(u64(p) for p in pfns)
    return out


def gpadl(relid, handle, ranges, header_pfn_bytes=None, buflen=None):
    """GPADL_HEADER plus as many GPADL_BODY records as the range list
    needs, split as Linux does (26 PFNs in the header, 28 per body) or
    after header_pfn_bytes bytes when given."""
    rl = gpadl_ranges(ranges)
    first = header_pfn_bytes if header_pfn_bytes is not None else 8 + 26 * 8
    head, rest = rl[:first], rl[first:]
    out = M(GPADL_HEADER, u32(relid) + u32(handle) +
            u16(buflen if buflen is not None else len(rl)) + u16(len(ranges)) +
            head)
    while rest:
        out += M(GPADL_BODY, u32(0) + u32(handle) + rest[:28 * 8])
        rest = rest[28 * 8:]
    return out


def ring_gpadl(relid, handle, first_pfn, pages, split=None):
    return gpadl(relid, handle, [(pages * PAGE, 0, list(range(first_pfn, first_pfn + pages)))],
                 header_pfn_bytes=split)


def open_ch(relid, handle, down, openid=1, vp=0):
    return M(OPENCHANNEL, u32(relid) + u32(openid) + u32(handle) + u32(vp) +
             u32(down) + b'\0' * 120)


def close_ch(relid):
    return M(CLOSECHANNEL, u32(relid))


def teardown(relid, handle):
    return M(GPADL_TEARDOWN, u32(relid) + u32(handle))


def released(relid):
    return M(RELID_RELEASED, u32(relid))


def modify(relid, vp):
    return M(MODIFYCHANNEL, u32(relid) + u32(vp))


REQ = M(REQUESTOFFERS)
UNL = M(UNLOAD)


class A:
    """Actions (sel >= 0xe0); slot = sel & 3."""
    @staticmethod
    def signal(slot, raw=None):
        return rec(0xe0 | slot, b'' if raw is None else u32(raw))

    @staticmethod
    def rescind(slot):
        return rec(0xe4 | slot, b'')

    @staticmethod
    def offer(slot):
        return rec(0xe8 | slot, b'')

    @staticmethod
    def poke(gpa, data):
        assert gpa % 8 == 0
        return rec(0xec, u16(gpa // 8) + data)

    @staticmethod
    def guest_pkt(slot, plen8, comp=False, tid=9, payload=b'', drain=False):
        # drain: the guest first consumes everything the host sent it
        return rec(0xf0 | slot, u8(plen8) + u8((1 if comp else 0) | (2 if drain else 0)) +
                   u8(tid) + payload)

    @staticmethod
    def host_send(slot, data):
        return rec(0xf4 | slot, data)

    @staticmethod
    def doorbell_fail(on):
        return rec(0xf8, u8(1 if on else 0))

    @staticmethod
    def refuse_open(slot, on):
        return rec(0xf9, u8(slot | (0x80 if on else 0)))

    @staticmethod
    def fault(slot):
        return rec(0xfa, u8(slot))

    @staticmethod
    def poll(slot):
        return rec(0xfc | slot, b'')


def hello(cfg=0, fail_post=0):
    return u8(cfg) + u8(fail_post) + initiate() + REQ


RING_PFN, RING_PAGES, RING_DOWN = 16, 8, 4
GH = 0x1000


def open_seq(relid=1, handle=GH, pfn=RING_PFN, pages=RING_PAGES, down=RING_DOWN,
             split=None):
    return ring_gpadl(relid, handle, pfn, pages, split) + open_ch(relid, handle, down)


def msg_seeds():
    s = {}
    # The full life cycle the fuzzer starts from.
    # The ring GPADL is split over a header (3 PFNs) and a body (5), so
    # both paths are on the way in.
    full = (hello() + open_seq(split=8 + 3 * 8) +
            A.guest_pkt(0, 4, comp=True) + A.signal(0) + A.host_send(0, b'x' * 40) +
            modify(1, 1) + close_ch(1) + teardown(1, GH) + UNL)
    s['full_sequence'] = full
    s['full_sequence_memfd'] = bytes([msg_cfg(memfd=True)]) + full[1:]
    # Rings of 20 pages each: the GPADL needs a GPADL_BODY, as from Linux.
    s['full_sequence_body'] = (hello() + open_seq(pages=40, down=20) +
                               A.guest_pkt(0, 1) + A.signal(0) + close_ch(1) +
                               teardown(1, GH) + UNL)
    # Header and bodies split at odd places (the server takes any split).
    s['gpadl_split_bodies'] = (hello() +
                               gpadl(1, GH, [(8 * PAGE, 0, list(range(16, 24)))],
                                     header_pfn_bytes=16) +
                               open_ch(1, GH, 4) + close_ch(1) + teardown(1, GH))
    # Scattered PFNs: a remapped window (memfd) or a refusal (fd = -1).
    scat = [30, 12, 50, 7, 44, 45, 20, 2]
    sc = (initiate() + REQ + gpadl(1, GH, [(8 * PAGE, 0, scat)]) +
          open_ch(1, GH, 4) + A.guest_pkt(0, 30, comp=True) + A.signal(0) +
          teardown(1, GH) + close_ch(1) + UNL)
    s['scattered_memfd'] = bytes([msg_cfg(memfd=True), 0]) + sc
    s['scattered_nofd'] = bytes([0, 0]) + sc
    # Two ranges, page aligned: usable as rings.
    s['gpadl_multirange'] = (hello() +
                             gpadl(1, GH, [(4 * PAGE, 0, [16, 17, 18, 19]),
                                           (4 * PAGE, 0, [20, 21, 22, 23])]) +
                             open_ch(1, GH, 4) + close_ch(1) + teardown(1, GH))
    # Unaligned range: a buffer GPADL, refused as a ring.
    s['gpadl_unaligned'] = (hello() +
                            gpadl(1, GH, [(3 * PAGE + 100, 200, [16, 17, 18, 19])]) +
                            open_ch(1, GH, 2))
    s['gpadl_body_overflow'] = (hello() +
                                M(GPADL_HEADER, u32(1) + u32(GH) + u16(24) + u16(1) +
                                  u32(2 * PAGE) + u32(0) + u64(16)) +
                                M(GPADL_BODY, u32(0) + u32(GH) + u64(17) + u64(18) + u64(19)) +
                                open_ch(1, GH, 1))
    s['gpadl_body_unknown'] = (hello() + M(GPADL_BODY, u32(0) + u32(0x77) + u64(1)))
    s['gpadl_pfn_outside'] = (hello() +
                              gpadl(1, GH, [(2 * PAGE, 0, [63, 64])]) +
                              gpadl(1, GH + 1, [(PAGE, 0, [1 << 52])]))
    s['gpadl_counts_disagree'] = (hello() +
                                  gpadl(1, GH, [(PAGE, 0, [3])], buflen=24) +
                                  gpadl(1, GH + 1, [(PAGE, 0, [3]), (PAGE, 0, [4])],
                                        buflen=16) +
                                  M(GPADL_HEADER, u32(1) + u32(GH + 2) + u16(0) + u16(0)))
    s['gpadl_duplicate_handle'] = (hello() + ring_gpadl(1, GH, 16, 4) +
                                   ring_gpadl(1, GH, 20, 4) + teardown(1, GH) +
                                   teardown(1, GH))
    many = b''.join(ring_gpadl(1, GH + i, 2 * i, 2) for i in range(8))
    s['gpadl_too_many'] = hello() + many + teardown(1, GH + 3) + ring_gpadl(1, 0x99, 40, 2)
    s['gpadl_unknown_channel'] = hello() + ring_gpadl(7, GH, 16, 4) + ring_gpadl(0, GH, 16, 4)
    # Out of order.
    s['order_before_contact'] = (u8(0) + u8(0) + REQ + ring_gpadl(1, GH, 16, 8) +
                                 open_ch(1, GH, 4) + close_ch(1) + teardown(1, GH) +
                                 initiate() + open_ch(1, GH, 4))
    s['order_open_before_gpadl'] = hello() + open_ch(1, GH, 4) + ring_gpadl(1, GH, 16, 8)
    s['order_open_in_assembly'] = (hello() +
                                   gpadl(1, GH, [(8 * PAGE, 0, list(range(16, 24)))],
                                         header_pfn_bytes=24) +
                                   open_ch(1, GH, 4))
    s['modify_not_open'] = (hello() + modify(1, 3) + modify(9, 0) + open_seq() +
                            close_ch(1) + modify(1, 1))
    s['order_open_twice'] = (hello() + open_seq() + open_ch(1, GH, 4) +
                             ring_gpadl(1, GH + 1, 32, 8) + open_ch(1, GH + 1, 4) +
                             close_ch(1) + close_ch(1))
    s['order_teardown_while_open'] = (hello() + open_seq() + A.guest_pkt(0, 2) +
                                      teardown(1, GH) + A.signal(0) + close_ch(1))
    s['order_reconnect_while_open'] = (hello() + open_seq() + initiate() + REQ +
                                       open_seq() + UNL + UNL)
    s['open_bad_offsets'] = (hello() + ring_gpadl(1, GH, 16, 8) + open_ch(1, GH, 0) +
                             open_ch(1, GH, 1) + open_ch(1, GH, 7) + open_ch(1, GH, 8) +
                             open_ch(1, GH, 0xffffffff) + open_ch(1, GH, 2))
    s['open_bad_ring_indices'] = (hello() + A.poke(RING_PFN * PAGE, u32(5)) +
                                  open_seq() +
                                  A.poke((RING_PFN + RING_DOWN) * PAGE, u32(0) + u32(1 << 20)) +
                                  ring_gpadl(1, GH + 1, 32, 8) + open_ch(1, GH + 1, 4))
    # Versions and connection ids.
    s['version_old'] = (u8(msg_cfg(max_v4=True)) + u8(0) + initiate(V5_3) +
                        initiate(V4_0, conn=CONN1) + REQ + open_seq() + modify(1, 2))
    s['version_wrong_conn'] = (u8(0) + u8(0) + initiate(V5_3, conn=CONN1) +
                               initiate(V5_3, sint=3) + initiate(0x12345) +
                               initiate(V4_0, conn=CONN4) + REQ +
                               rec(0x03 | (2 << 2), hdr(INITIATE_CONTACT)))
    # Malformed messages.
    s['malformed'] = (hello() + rec(CONN1, b'\x01\x02') +
                      M(OFFERCHANNEL, b'\0' * 188) + M(99) +
                      rec(CONN1, hdr(OPENCHANNEL) + b'\0' * 10) +
                      rec(CONN1, hdr(GPADL_HEADER) + b'\0' * 240) +
                      M(REQUESTOFFERS, conn=CONN4) + M(24) + M(0))
    # Rescind in every state.
    s['rescind_open'] = (u8(msg_cfg(two_devs=True)) + u8(0) + initiate() + REQ +
                         open_seq() + ring_gpadl(2, GH + 1, 32, 8) +
                         open_ch(2, GH + 1, 4) + A.rescind(0) + A.signal(0) +
                         close_ch(1) + released(1) + released(1) + A.offer(0) +
                         A.rescind(1) + UNL)
    s['rescind_unsent'] = (u8(msg_cfg(two_devs=True)) + u8(0) + A.rescind(1) +
                           initiate() + A.rescind(0) + REQ + A.offer(2) + A.offer(3) +
                           A.offer(0) + A.rescind(2))
    s['rescind_then_reconnect'] = (hello() + open_seq() + A.rescind(0) +
                                   initiate() + REQ + A.offer(1) + open_seq())
    # Transport and device failures.
    s['post_fails'] = (u8(0) + u8(5) + initiate() + REQ + open_seq() +
                       A.guest_pkt(0, 3, comp=True) + A.signal(0) + close_ch(1) + UNL)
    s['doorbell_fails'] = (hello() + A.doorbell_fail(True) + open_seq() +
                           A.doorbell_fail(False) + open_ch(1, GH, 4) + close_ch(1))
    s['device_refuses'] = (hello() + A.refuse_open(0, True) + open_seq() +
                           A.refuse_open(0, False) + open_ch(1, GH, 4))
    s['plain_transport'] = (u8(msg_cfg(plain=True)) + u8(0) + initiate() + REQ +
                            open_seq() + A.signal(0) + close_ch(1) + teardown(1, GH))
    # The guest corrupts its rings; the device faults the channel.
    s['ring_corrupt_fault'] = (hello() + open_seq() +
                               A.poke(RING_PFN * PAGE, u32(13)) + A.signal(0) +
                               A.signal(0) + close_ch(1) + teardown(1, GH) +
                               open_seq(handle=GH + 1))
    s['ring_corrupt_teardown'] = (hello() + open_seq() +
                                  A.poke((RING_PFN + 1) * PAGE, desc(6, 1, 4)) +
                                  A.poke(RING_PFN * PAGE, u32(32)) + A.poll(0) +
                                  teardown(1, GH) + A.rescind(0) + released(1))
    s['device_fault_action'] = (u8(msg_cfg(two_devs=True)) + u8(0) + initiate() +
                                REQ + open_seq(relid=2) + A.fault(1) +
                                A.signal(1) + A.signal(1, 0x2002) +
                                A.signal(1, 0x3001) + close_ch(2))
    # Replies fill the 1-page host-to-guest ring: requests are unread and
    # left until the guest drains it; then signals flow again.
    s['ring_wrap_traffic'] = (hello() + open_seq(pages=4, down=2) +
                              b''.join(A.guest_pkt(0, 60, comp=True, tid=i) + A.signal(0)
                                       for i in range(12)) +
                              b''.join(b''.join(A.guest_pkt(0, 1, comp=True, tid=i)
                                                for i in range(50)) + A.signal(0)
                                       for _ in range(4)) +
                              A.guest_pkt(0, 1, drain=True) + A.signal(0) +
                              A.guest_pkt(0, 2, comp=True, drain=True) + A.signal(0) +
                              b''.join(A.host_send(0, bytes(range(200))) for _ in range(30)) +
                              close_ch(1))
    return s


# ---------------------------------------------------------------------------
# fuzz_rndis_pkt: [u16 avail][RNDIS_MSG_PACKET bytes]
# fuzz_netvsp:    [cfg] then records [u8 op][u8 flags][u16 len][bytes]
# ---------------------------------------------------------------------------

def rndis_packet(frame, ppis=(), pad=False, data_offset=None, msg_len=None,
                 ppi_raw=None):
    """RNDIS_MSG_PACKET: header, rndis_packet, PPIs {size 16, type, 12, v}."""
    ppi = ppi_raw if ppi_raw is not None else b''.join(
        u32(16) + u32(t) + u32(12) + u32(v) for t, v in ppis)
    hl = 8 + 36 + len(ppi)
    n = hl + len(frame)
    if pad:
        n = (n + 7) & ~7
    body = (u32(hl - 8 if data_offset is None else data_offset) + u32(len(frame)) +
            u32(0) * 3 + u32(36 if ppi else 0) + u32(len(ppi)) + u32(0) * 2)
    m = u32(1) + u32(n if msg_len is None else msg_len) + body + ppi + frame
    return m + b'\0' * (n - len(m))


def eth_frame(n=60, dst=b'\x00\x15\x5d\x42\x00\x10'):
    return dst + b'\x02' * 6 + b'\x08\x00' + bytes(i & 0xff for i in range(n - 14))


def rndis_seeds():
    f = eth_frame(80)
    s = {
        'plain': u16(0xffff) + rndis_packet(f),
        'vlan_csum': u16(0xffff) + rndis_packet(f, [(6, 100 << 4 | 3), (0, 0x00220015)]),
        'lso_hash': u16(0xffff) + rndis_packet(f, [(2, 1448 | 34 << 20 | 1 << 30), (8, 0xabcd)]),
        'ppi_16': u16(0xffff) + rndis_packet(f, [(0x55, i) for i in range(16)]),
        'ppi_17': u16(0xffff) + rndis_packet(f, [(0x55, i) for i in range(17)]),
        'ppi_size0': u16(0xffff) + rndis_packet(f, ppi_raw=u32(0) + u32(6) + u32(12) + u32(1)),
        'short_avail': u16(20) + rndis_packet(f, [(6, 5)]),
        'len_overflow': u16(0xffff) + rndis_packet(f, data_offset=0xfffffff0),
        'internal_ppi': u16(0xffff) + rndis_packet(f, [(0x80000001, 7)]),
    }
    return s


NVSP_RNDIS = 107


def nrec(op, flags, body):
    return u8(op) + u8(flags) + u16(len(body)) + body


def nvsp(t, *words):
    m = u32(t) + b''.join(u32(w) for w in words)
    return m + b'\0' * (40 - len(m))


def gpa_body(ranges, msg, cnt=None):
    """ranges: [(byte_count, byte_offset, [pfns])]."""
    r = b''.join(u32(c) + u32(o) + b''.join(u64(p) for p in pf) for c, o, pf in ranges)
    return u32(len(ranges) if cnt is None else cnt) + r + msg


def netvsp_seeds():
    poll = nrec(3, 0, b'')
    pkt = rndis_packet(eth_frame(120), pad=True)
    sec = lambda i, data: nrec(2, 0, u16(i) + data)
    send = lambda i, n, ch=0, comp=1: nrec(0, comp, nvsp(NVSP_RNDIS, ch, i, n))
    # Section 5 holds two batched packets; GPA pages in the DMA area of
    # vNIC 0 (see netvsp_guest.c: region 1 MiB, rings 8 MiB, buffers 17 MiB).
    dma_pfn = (0x100000 + 16 * 0x80000 + (16 << 20) + (1 << 20)) >> 12
    s = {
        'tx_copy': b'\0' + sec(5, pkt + pkt) + send(5, 2 * len(pkt)) + poll,
        'tx_bad_section': b'\0' + send(999, 100) + send(0, 7000) + poll,
        'tx_gpa': b'\0' + nrec(1, 1, gpa_body([(64, 0, [dma_pfn])],
                                             nvsp(NVSP_RNDIS, 0, 0xffffffff, 0))) + poll,
        'tx_gpa_outside': b'\0' + nrec(1, 1, gpa_body([(64, 0, [1 << 40])],
                                                     nvsp(NVSP_RNDIS, 0, 0xffffffff, 0))) + poll,
        'tx_gpa_lying_count': b'\0' + nrec(1, 1, gpa_body([(64, 0, [dma_pfn])],
                                                         nvsp(NVSP_RNDIS, 0, 0xffffffff, 0),
                                                         cnt=40)) + poll,
        'unknown_types': b'\0' + nrec(0, 1, nvsp(0x7777)) + nrec(0, 0, nvsp(0x7777)) +
                         nrec(0, 1, b'\1') + nrec(0, 1, nvsp(1, 0x60001, 0x60001)) + poll,
        'rndis_query': b'\0' + sec(3, u32(4) + u32(28) + u32(9) + u32(0x01010101) +
                                   u32(0) + u32(20) + u32(0)) +
                       nrec(0, 1, nvsp(NVSP_RNDIS, 1, 3, 28)) + poll,
        'host_tx_no_complete': b'\1' + b''.join(nrec(3, 1, eth_frame(1400)) for _ in range(40)) +
                               poll + nrec(3, 3, b'') + poll,
        'link_flap': b'\0' + nrec(3, 2, b'') + nrec(3, 6, b'') + poll,
        'revoke_then_tx': b'\0' + nrec(0, 0, nvsp(103, 0xcafe)) + nrec(0, 0, nvsp(106, 0)) +
                          sec(1, pkt) + send(1, len(pkt)) + nrec(3, 1, eth_frame(100)) + poll,
        # Requests Linux always sends with a completion, sent without:
        # no completion may come back (libFuzzer found INIT answered).
        'unasked_replies': b'\0' + nrec(0, 0, nvsp(1, 0x60001, 0x60001)) +
                           nrec(0, 0, nvsp(101, 1, 0xcafe)) + nrec(0, 0, nvsp(104, 2, 0)) +
                           nrec(0, 0, nvsp(133, 1, 1)) + poll,
        'subchannel_switch': b'\0' + nrec(0, 1, nvsp(133, 1, 3)) + nrec(0, 1, nvsp(129, 1)) + poll,
    }
    return s


# ---------------------------------------------------------------------------
# fuzz_vsw_request: one request line as vswitchd's control socket gets it
# (JSON, vswitch/vsw_ctl.h), plus replies (the same bytes go through
# vswitchctl's reply decoder). Valid requests of every op against the
# target's base configuration, then the near misses a parser must refuse.
# ---------------------------------------------------------------------------

def vsw_seeds():
    import json

    def req(op, **kw):
        d = {'version': 1, 'op': op}
        d.update(kw)
        return json.dumps(d, separators=(',', ':')).encode()

    s = {
        'show': req('show'),
        'show_switch': req('show', switch='sw0'),
        'switch_list': req('switch-list'),
        'switch_create': req('switch-create', switch='new0',
                             config={'type': 'private', 'fdb_size': 4096, 'aging_s': 60}),
        'switch_create_exists': req('switch-create', switch='sw0', may_exist=True,
                                    config={'type': 'internal'}),
        'switch_delete': req('switch-delete', switch='sw0'),
        'switch_delete_missing': req('switch-delete', switch='nope', if_exists=True),
        'switch_set': req('switch-set', switch='ext0', config={'aging_s': 5}),
        'port_add_vnic': req('port-add', switch='sw0', port='p9',
                             config={'kind': 'vnic', 'devargs': 'vnf-z'}),
        'port_add_full': req('port-add', switch='ext0', port='u9', config={
            'kind': 'uplink', 'devargs': 'net_af_packet0,iface=veth9',
            'vlan': {'mode': 'trunk', 'allowed': '1-100,200', 'native': 10},
            'security': {'mac_spoof_guard': True, 'mac': '00:15:5d:00:00:09',
                         'dhcp_guard': True, 'router_guard': False,
                         'storm_limit_pps': 1000, 'mac_limit': 64},
            'qos': {'max_bps': 1000000000, 'min_weight': 20}}),
        'port_add_wrong_kind': req('port-add', switch='priv0', port='h9',
                                   config={'kind': 'internal'}),
        'port_delete_mirrored': req('port-delete', port='p1'),
        'port_set': req('port-set', port='h0', config={'devargs': 'net_tap0,iface=hv0',
                                                       'mac': ''}),
        'port_vlan_access': req('port-vlan', port='p2', config={'mode': 'access', 'vlan': 4094}),
        'port_vlan_untagged': req('port-vlan', port='p1', config={'mode': 'untagged'}),
        'port_security': req('port-security', port='p2',
                             config={'dhcp_guard': True, 'storm_limit_pps': 5}),
        'port_qos': req('port-qos', port='p2', config={'min_weight': 100}),
        'acl_add': req('acl-add', port='p2', config={
            'extended': False, 'action': 'deny', 'direction': 'inbound',
            'local': 'any', 'remote': '192.168.0.0/16'}),
        'acl_add_ext': req('acl-add', port='p2', config={
            'extended': True, 'action': 'allow', 'direction': 'outbound', 'weight': 7,
            'protocol': 'udp', 'local': 'any', 'remote': '2001:db8::/32',
            'local_ports': '1024-65535', 'remote_ports': '53', 'stateful': True,
            'idle_timeout_s': 30}),
        'acl_add_mac': req('acl-add', port='p1', may_exist=True, config={
            'action': 'allow', 'direction': 'both', 'local': '00:15:5d:00:00:01'}),
        'acl_delete': req('acl-delete', port='p1', config={
            'extended': False, 'direction': 'inbound', 'local': 'any',
            'remote': '10.0.0.0/8'}),
        'acl_delete_weight': req('acl-delete', port='p1', if_exists=True,
                                 config={'extended': True, 'weight': 100}),
        'acl_list': req('acl-list', port='p1'),
        'mirror_add': req('mirror-add', switch='sw0', name='m9', config={
            'output': 'p2', 'select_all': False, 'select_src': ['p1'],
            'select_dst': ['h0'], 'select_vlans': '5,7-9'}),
        'mirror_delete': req('mirror-delete', name='m0'),
        'mirror_list': req('mirror-list', switch='sw0'),
        'ext_add': req('extension-add', switch='sw0', name='x9', config={
            'type': 'filter', 'module': '/usr/lib/hvnet/x.so', 'args': 'a=1',
            'enabled': True}),
        'ext_enable_conflict': req('extension-enable', switch='sw0', name='c0'),
        'ext_disable': req('extension-disable', switch='sw0', name='f0'),
        'ext_delete': req('extension-delete', switch='sw0', name='f0'),
        'ext_list': req('extension-list'),
        'stats': req('stats', port='p1'),
        'capture_start': req('capture-start', port='p1',
                             config={'direction': 'both', 'count': 10, 'snaplen': 128}),
        'capture_stop': req('capture-stop', port='p1'),
        # Near misses.
        'bad_trailing_comma': b'{"op":"show",}',
        'bad_duplicate_key': b'{"op":"show","op":"show"}',
        'bad_unknown_field': b'{"op":"show","frob":1}',
        'bad_escape_nul': b'{"op":"show","switch":"a\\u0000"}',
        'bad_surrogate': b'{"op":"show","switch":"\\ud800"}',
        'bad_utf8': b'{"op":"show","switch":"\xc0\xaf"}',
        'bad_number': b'{"op":"switch-set","switch":"sw0","config":{"aging_s":01}}',
        'bad_deep': b'[' * 40 + b']' * 40,
        'bad_vlan_list': req('port-vlan', port='p1',
                             config={'mode': 'trunk', 'allowed': '4000-5000'}),
        'bad_host_bits': req('acl-add', port='p1', config={
            'action': 'deny', 'direction': 'inbound', 'remote': '10.0.0.1/8'}),
        # Replies, for vswitchctl's decoder.
        'reply_ok': b'{"ok":true,"changed":true}',
        'reply_error': b'{"ok":false,"error":"ENOENT","errno":2,"why":"port p9 does not exist"}',
        'reply_show': json.dumps({'ok': True, 'changed': False, 'result': {'switches': [{
            'name': 'sw0', 'type': 'internal', 'fdb_size': 0, 'aging_s': 0,
            'ports': [{'name': 'p1', 'kind': 'vnic', 'devargs': 'a',
                       'vlan': {'mode': 'access', 'vlan': 5},
                       'security': {'mac_spoof_guard': True}, 'qos': {'max_bps': 5},
                       'acls': [{'extended': False, 'action': 'deny', 'direction': 'inbound',
                                 'local': 'any', 'remote': '10.0.0.0/8'}]}],
            'mirrors': [{'name': 'm', 'output': 'p1', 'select_all': True,
                         'select_src': [], 'select_dst': []}],
            'extensions': [{'name': 'e', 'type': 'filter', 'module': 'm', 'args': '',
                            'enabled': True}]}]}}, separators=(',', ':')).encode(),
        'reply_stats': b'{"ok":true,"changed":false,"result":{"stats":[{"port":"p1",'
                       b'"switch":"sw0","attached":true,"counters":{"rx_packets":5}}]}}',
    }
    return s


# ---------------------------------------------------------------------------
# fuzz_vsw_parse: one frame as the datapath hands it to vsw_parse (the
# 802.1Q tag already stripped: byte 12 is the payload's EtherType). Every
# kind of header the parser walks, the long chain, and each malformation
# it must refuse.
# ---------------------------------------------------------------------------

def vsw_parse_seeds():
    def be16(v):
        return struct.pack('>H', v & 0xffff)

    def eth(t):
        return b'\x02\x00\x00\x00\x00\xbb\x02\x00\x00\x00\x00\xaa' + be16(t)

    def v4(proto, l4, ihl=5, frag=0, tot=None):
        opts = b'\x01' * ((ihl - 5) * 4)
        hdr = (bytes([0x40 | ihl, 0]) + be16(tot if tot is not None else ihl * 4 + len(l4)) +
               b'\x12\x34' + be16(frag) + bytes([64, proto]) + b'\0\0' +
               bytes([10, 1, 2, 3, 192, 168, 77, 254]) + opts)
        return eth(0x0800) + hdr + l4

    def v6(nh, payload, plen=None):
        hdr = (b'\x60\0\0\0' + be16(plen if plen is not None else len(payload)) +
               bytes([nh, 64]) + b'\x20\x01' + b'\0' * 13 + b'\x01' +
               b'\xfe\x80' + b'\0' * 13 + b'\x02')
        return eth(0x86dd) + hdr + payload

    def ext(nh, units=0):
        return bytes([nh, units]) + b'\0' * (6 + 8 * units)

    def ah(nh, units=4):
        return bytes([nh, units]) + b'\0' * ((units + 2) * 4 - 2)

    def frag6(nh, off, more):
        return bytes([nh, 0]) + be16(off << 3 | more) + b'\0\0\x12\x34'

    def tcp(sp, dp, flags=0x02):
        return be16(sp) + be16(dp) + b'\0' * 8 + bytes([0x50, flags]) + b'\xff\xff\0\0\0\0'

    def udp(sp, dp, data=b''):
        return be16(sp) + be16(dp) + be16(8 + len(data)) + b'\0\0' + data

    def icmp(t, code=0):
        return bytes([t, code]) + b'\0' * 6

    sctp = be16(2905) + be16(2906) + b'\0' * 8
    arp = eth(0x0806) + bytes([0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 0xaa, 10, 0, 0, 1,
                               0, 0, 0, 0, 0, 0, 10, 0, 0, 2])
    s = {
        'arp': arp,
        'lldp_bare': eth(0x88cc),
        'runt_13': eth(0x0800)[:13],
        'v4_tcp': v4(6, tcp(49152, 443, 0x12)),
        'v4_tcp_options': v4(6, tcp(1, 65535, 0xff), ihl=15, frag=0x4000),
        'v4_udp_dhcp': v4(17, udp(67, 68, b'\x02\x01\x06\x00')),
        'v4_icmp_echo_padded': (v4(1, icmp(8)) + b'\0' * 60)[:60],
        'v4_icmp_redirect': v4(1, icmp(5, 1)),
        'v4_sctp': v4(132, sctp),
        'v4_gre': v4(47, b''),
        'v4_first_frag': v4(6, tcp(80, 50000, 0x10), frag=0x2000),
        'v4_later_frag': v4(6, b'\xde\xad\xbe\xef', frag=185),
        'v4_first_frag_short': v4(6, b'\0' * 8, frag=0x2000),
        'v4_ihl4': b''.join([v4(17, udp(1, 2))[:14], b'\x44', v4(17, udp(1, 2))[15:]]),
        'v4_ihl15_short': b''.join([v4(17, udp(1, 2))[:14], b'\x4f', v4(17, udp(1, 2))[15:]]),
        'v4_tot_below_ihl': v4(17, udp(1, 2), ihl=6, tot=23),
        'v4_tot_beyond': v4(17, udp(1, 2), tot=29),
        'v4_hdr_cut': v4(17, b'')[:33],
        'v4_tcp_cut': v4(6, tcp(1, 2))[:14 + 20 + 19],
        'v6_tcp': v6(6, tcp(22, 60000)),
        'v6_udp': v6(17, udp(547, 546, b'\0' * 4)),
        'v6_icmp_ra': v6(58, icmp(134)),
        'v6_none': v6(59, b''),
        'v6_hbh_tcp': v6(0, ext(6) + tcp(179, 40000, 0x18)),
        'v6_rt_udp': v6(43, ext(17, 2) + udp(53, 5353)),
        'v6_dst_icmp_redirect': v6(60, ext(58, 1) + icmp(137)),
        'v6_all_ext': v6(0, ext(60) + ext(43, 1) + ext(44) + frag6(51, 0, 1) + ah(60) +
                         ext(6, 3) + tcp(1000, 2000, 1)),
        'v6_ah_tcp': v6(51, ah(6) + tcp(5060, 5061)),
        'v6_ah_esp': v6(51, ah(50, 0) + b'\0' * 8),
        'v6_frag_first_udp': v6(44, frag6(17, 0, 1) + udp(4789, 4789, b'\0' * 16)),
        'v6_frag_later': v6(44, frag6(6, 185, 1) + b'\1\2\3'),
        'v6_frag_first_short': v6(44, frag6(6, 0, 1) + b'\0' * 12),
        'v6_chain8_tcp': v6(60, ext(60) * 7 + ext(6) + tcp(1, 2)),
        'v6_chain9_icmp_ra': v6(60, ext(60) * 8 + ext(58) + icmp(134)),
        'v6_plen_beyond': v6(17, udp(1, 2), plen=9),
        'v6_hdr_cut': v6(59, b'')[:53],
        'v6_ext_cut': v6(0, ext(59))[:14 + 40 + 7],
        'v6_ext_past_payload': v6(0, bytes([59, 1]) + b'\0' * 6),
        'v6_tcp_cut': v6(6, tcp(1, 2)[:19]),
    }
    return s


TARGETS = {
    'fuzz_vmbus_ring': ring_seeds,
    'fuzz_vmbus_msg': msg_seeds,
    'fuzz_rndis_pkt': rndis_seeds,
    'fuzz_netvsp': netvsp_seeds,
    'fuzz_vsw_request': vsw_seeds,
    'fuzz_vsw_parse': vsw_parse_seeds,
}


def write_corpus(root):
    for target, gen in TARGETS.items():
        d = os.path.join(root, target)
        if os.path.isdir(d):
            shutil.rmtree(d)
        os.makedirs(d)
        for name, data in sorted(gen().items()):
            with open(os.path.join(d, name), 'wb') as f:
                f.write(data)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--check', action='store_true',
                    help='fail if the committed corpus differs from the generated one')
    ap.add_argument('--out', default=os.path.join(here, 'corpus'))
    args = ap.parse_args()
    if not args.check:
        write_corpus(args.out)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        write_corpus(tmp)
        bad = []
        for target in TARGETS:
            cmp = filecmp.dircmp(os.path.join(tmp, target), os.path.join(args.out, target))
            bad += [target + '/' + n for n in cmp.left_only + cmp.right_only + cmp.diff_files]
            # dircmp compares shallowly (size, mtime); compare contents.
            for n in cmp.same_files:
                if not filecmp.cmp(os.path.join(tmp, target, n),
                                   os.path.join(args.out, target, n), shallow=False):
                    bad.append(target + '/' + n)
        if bad:
            print('corpus out of date (run tests/fuzz/gen_corpus.py):', *bad, sep='\n  ')
            return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
