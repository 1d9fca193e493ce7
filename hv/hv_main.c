/* hv: runs one partition from the command line, the per-VM worker of the
 * Hyper-V architecture: a kernel (bzImage, PVH vmlinux or an hvnet test
 * guest), an initrd, memory, vCPUs, a command line, a serial console, the
 * Hyper-V enlightenments and the VMBus. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/hvn_proc.h"
#include "hv/hv.h"
#include "hv/hv_acpi.h"
#include "hv/hv_boot.h"
#include "hv/hv_hyperv.h"
#include "hv/hv_nic.h"
#include "hv/hv_probe.h"
#include "hv/hv_serial.h"
#include "hv/hv_vmbus.h"
#include "vmbus/vmbus_testdev.h"

/* One worker lcore, no hugepages needed, no shared config: several
 * workers run side by side. */
#define HV_NIC_EAL_DEFAULT "--no-huge -m 128 --no-shconf --no-pci -l 0,1 --no-telemetry --log-level=lib.eal:error"

enum {
	EXIT_HOST_ERROR = 2,
	EXIT_KVM_CANNOT = 3,
	EXIT_TRIPLE_FAULT = 4,
	EXIT_TIMEOUT = 5,
	EXIT_RESET = 6,
};

struct hv_opts {
	const char *kernel;
	const char *initrd;
	const char *cmdline;
	const char *serial;
	const char *name;
	uint64_t mem;
	unsigned int cpus;
	unsigned int timeout_s;
	bool hugepages;
	bool no_hyperv;
	bool testdev;
	bool stats;
	bool probe;
	bool nic_pair;
	const char *nic_eal;
	uint32_t nic_mtu;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: hv --kernel FILE [options]\n"
		"       hv --probe\n"
		"Runs one partition on KVM with the Hyper-V enlightenments and the VMBus.\n"
		"  --kernel FILE       bzImage, vmlinux with a PVH note, or an hvnet test guest\n"
		"  --initrd FILE       initial ramdisk\n"
		"  --cmdline STRING    kernel command line\n"
		"  --mem SIZE          guest memory, e.g. 512M or 1G (default 256M; max 3G)\n"
		"  --cpus N            virtual processors (default 1, max %d)\n"
		"  --serial FILE|stdout|none   where COM1 output goes (default stdout)\n"
		"  --hugepages         back guest memory with 2 MiB hugepages\n"
		"  --no-hyperv         no enlightenments and no VMBus (plain KVM guest)\n"
		"  --vmbus-test-device offer hvnet's VMBus test device (echo)\n"
		"  --nic-pair          offer two synthetic NICs joined back to back by netVSP\n"
		"  --nic-mtu N         their MTU (default 1500)\n"
		"  --nic-eal ARGS      DPDK EAL arguments for the NICs' lcores\n"
		"                      (default \"%s\")\n"
		"  --timeout SECONDS   stop the partition after this long (exit 5)\n"
		"  --name NAME         partition name for logs\n"
		"  --stats             print SynIC, hypercall and VMBus counters at exit\n"
		"  --probe             say whether this host's KVM can run a stock Linux kernel\n"
		"                      (exit 0 yes, 3 no, 2 no /dev/kvm)\n"
		"Exit status: 0 the guest powered off; N the guest wrote N to the debug-exit\n"
		"port 0x%x; 2 host error; 3 KVM cannot run the guest; 4 triple fault;\n"
		"5 timeout; 6 the guest reset.\n",
		HV_MAX_VPS, HV_NIC_EAL_DEFAULT, HV_PORT_DEBUG_EXIT);
}

static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -EINVAL;
	switch (*end) {
	case 'G': case 'g':
		v <<= 30;
		end++;
		break;
	case 'M': case 'm':
		v <<= 20;
		end++;
		break;
	case 'K': case 'k':
		v <<= 10;
		end++;
		break;
	default:
		break;
	}
	if (*end)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_opts(int argc, char **argv, struct hv_opts *o)
{
	static const struct option lo[] = {
		{ "kernel", required_argument, 0, 'k' },
		{ "initrd", required_argument, 0, 'i' },
		{ "cmdline", required_argument, 0, 'c' },
		{ "mem", required_argument, 0, 'm' },
		{ "cpus", required_argument, 0, 'n' },
		{ "serial", required_argument, 0, 's' },
		{ "hugepages", no_argument, 0, 'H' },
		{ "no-hyperv", no_argument, 0, 'N' },
		{ "vmbus-test-device", no_argument, 0, 'T' },
		{ "timeout", required_argument, 0, 't' },
		{ "name", required_argument, 0, 'a' },
		{ "stats", no_argument, 0, 'S' },
		{ "probe", no_argument, 0, 'P' },
		{ "nic-pair", no_argument, 0, 'C' },
		{ "nic-mtu", required_argument, 0, 'U' },
		{ "nic-eal", required_argument, 0, 'E' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	int c;

	*o = (struct hv_opts){ .mem = 256ull << 20, .cpus = 1, .serial = "stdout",
			       .cmdline = "", .name = "hv", .nic_eal = HV_NIC_EAL_DEFAULT };
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'k': o->kernel = optarg; break;
		case 'i': o->initrd = optarg; break;
		case 'c': o->cmdline = optarg; break;
		case 's': o->serial = optarg; break;
		case 'a': o->name = optarg; break;
		case 'H': o->hugepages = true; break;
		case 'N': o->no_hyperv = true; break;
		case 'T': o->testdev = true; break;
		case 'S': o->stats = true; break;
		case 'P': o->probe = true; break;
		case 'C': o->nic_pair = true; break;
		case 'E': o->nic_eal = optarg; break;
		case 'U': o->nic_mtu = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'm':
			if (parse_size(optarg, &o->mem)) {
				fprintf(stderr, "hv: --mem %s: not a size (try 512M or 1G)\n", optarg);
				return -EINVAL;
			}
			break;
		case 'n':
			o->cpus = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 't':
			o->timeout_s = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "hv: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	if (!o->probe && !o->kernel) {
		fprintf(stderr, "hv: --kernel is required (see hv --help)\n");
		return -EINVAL;
	}
	return 0;
}

/* Stops the partition on SIGINT/SIGTERM or when --timeout expires. The
 * signals are blocked everywhere else, so vCPU threads never see them. */
struct watchdog {
	struct hv_partition *p;
	unsigned int timeout_s;
	volatile bool done;
	volatile bool timed_out;
	volatile int signo;
};

static void *watchdog_thread(void *arg)
{
	struct watchdog *w = arg;
	struct timespec start, now, tick = { 0, 100 * 1000 * 1000 };
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (!w->done) {
		int sig = sigtimedwait(&set, NULL, &tick);

		if (sig > 0) {
			w->signo = sig;
			hv_partition_stop(w->p, HV_EXIT_POWEROFF, 0);
			break;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (w->timeout_s && now.tv_sec - start.tv_sec >= (time_t)w->timeout_s) {
			w->timed_out = true;
			hv_partition_stop(w->p, HV_EXIT_ERROR, -ETIMEDOUT);
			break;
		}
	}
	return NULL;
}

static int open_serial(const char *spec)
{
	if (!strcmp(spec, "stdout"))
		return dup(STDOUT_FILENO);
	if (!strcmp(spec, "none"))
		return open("/dev/null", O_WRONLY | O_CLOEXEC);
	return open(spec, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
}

static void print_stats(struct hv_partition *p, struct hv_vmbus *vb)
{
	struct hv_hyperv *h = hv_partition_hyperv(p);
	struct hv_synic_stats ss;
	struct hv_hyperv_stats hs;

	if (!h)
		return;
	hv_hyperv_get_stats(h, &hs);
	hv_synic_get_stats(hv_hyperv_synic(h), &ss);
	fprintf(stderr,
		"hv: hypercalls %llu (errors %llu), msr errors %llu\n"
		"hv: synic messages posted %llu delivered %llu dropped %llu refused %llu "
		"pending %llu eoms %llu\n"
		"hv: synic signals %llu coalesced %llu dropped %llu interrupts %llu bad pages %llu\n",
		(unsigned long long)hs.hypercalls, (unsigned long long)hs.hypercall_errors,
		(unsigned long long)hs.msr_errors, (unsigned long long)ss.msgs_posted,
		(unsigned long long)ss.msgs_delivered, (unsigned long long)ss.msgs_dropped,
		(unsigned long long)ss.msgs_refused, (unsigned long long)ss.pending_set,
		(unsigned long long)ss.eoms, (unsigned long long)ss.signals,
		(unsigned long long)ss.signals_coalesced, (unsigned long long)ss.signals_dropped,
		(unsigned long long)ss.interrupts, (unsigned long long)ss.bad_pages);
	if (vb) {
		const struct vmbus_server_stats *vs = vmbus_server_get_stats(hv_vmbus_server(vb));

		fprintf(stderr,
			"hv: vmbus version 0x%x, messages in %llu out %llu, protocol errors %llu, "
			"signals in %llu (bad %llu), channels open %u\n",
			vs->version, (unsigned long long)vs->msgs_in,
			(unsigned long long)vs->msgs_out, (unsigned long long)vs->proto_errors,
			(unsigned long long)vs->signals_in, (unsigned long long)vs->bad_signals,
			vs->channels_open);
	}
}

/* The worker's own memory: anonymous and file-backed pages. Guest RAM is
 * the shared memfd and shows up as RssShmem, reported apart. */
static void print_memory(struct hv_partition *p)
{
	long anon = hvn_proc_status_kib("RssAnon"), file = hvn_proc_status_kib("RssFile");

	fprintf(stderr, "hv: memory: worker %ld KiB (anon %ld, file %ld), guest RAM touched "
			"%ld KiB, peak RSS %ld KiB\n", anon + file, anon, file,
		hvn_proc_status_kib("RssShmem"), hvn_proc_status_kib("VmHWM"));
	fprintf(stderr, "hv: first guest exit at monotonic %llu ns\n",
		(unsigned long long)hv_partition_first_exit_ns(p));
}

static int do_probe(void)
{
	char why[512];
	int rc = hv_probe_stock_linux(why, sizeof(why));

	printf("%s\n", why);
	if (rc == -ENODEV)
		return EXIT_HOST_ERROR;
	return rc ? EXIT_KVM_CANNOT : 0;
}

int main(int argc, char **argv)
{
	struct hv_partition_config pc = { 0 };
	struct hv_boot_config bc = { 0 };
	struct hv_acpi_config ac = { 0 };
	struct watchdog wd = { 0 };
	struct hv_partition *p = NULL;
	struct hv_serial *serial = NULL;
	struct hv_vmbus *vb = NULL;
	struct hv_nic_pair *nics = NULL;
	struct hv_run_result res = { 0 };
	struct hv_entry entry;
	struct hv_opts o;
	const char *err = NULL;
	pthread_t wd_thread;
	char msg[256];
	sigset_t set;
	int rc, status = EXIT_HOST_ERROR, serial_fd = -1;

	if (parse_opts(argc, argv, &o))
		return EXIT_HOST_ERROR;
	if (o.probe)
		return do_probe();

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	pc.name = o.name;
	pc.mem_bytes = o.mem;
	pc.nr_vps = o.cpus;
	pc.hugepages = o.hugepages;
	pc.hyperv = !o.no_hyperv;
	rc = hv_partition_create(&pc, &p, &err);
	if (rc) {
		fprintf(stderr, "hv: cannot create the partition: %s (%s)\n",
			err ? err : "unknown error", strerror(-rc));
		return EXIT_HOST_ERROR;
	}
	serial_fd = open_serial(o.serial);
	if (serial_fd < 0) {
		fprintf(stderr, "hv: --serial %s: %s\n", o.serial, strerror(errno));
		goto out;
	}
	rc = hv_serial_create(p, HV_SERIAL_COM1_PORT, HV_SERIAL_COM1_IRQ, serial_fd, &serial);
	if (rc) {
		fprintf(stderr, "hv: cannot create COM1: %s\n", strerror(-rc));
		goto out;
	}
	ac.nr_vps = o.cpus;
	ac.vmbus = pc.hyperv;
	rc = hv_acpi_build(p, &ac, &bc.rsdp_gpa);
	if (rc) {
		fprintf(stderr, "hv: cannot build the ACPI tables: %s\n", strerror(-rc));
		goto out;
	}
	bc.kernel = o.kernel;
	bc.initrd = o.initrd;
	bc.cmdline = o.cmdline;
	rc = hv_boot_load(p, &bc, &entry, msg, sizeof(msg));
	if (rc) {
		fprintf(stderr, "hv: %s\n", msg);
		goto out;
	}
	rc = hv_partition_set_entry(p, &entry);
	if (rc) {
		fprintf(stderr, "hv: cannot set the boot processor's registers: %s\n",
			strerror(-rc));
		goto out;
	}
	if (pc.hyperv) {
		struct vmbus_server_config vc = { .name = o.name };

		rc = hv_vmbus_create(p, &vc, &vb);
		if (rc) {
			fprintf(stderr, "hv: cannot start the VMBus server: %s\n", strerror(-rc));
			goto out;
		}
		if (o.testdev) {
			struct vmbus_testdev *td;

			rc = vmbus_testdev_offer(hv_vmbus_server(vb), 0, &td);
			if (rc) {
				fprintf(stderr, "hv: cannot offer the test device: %s\n",
					strerror(-rc));
				goto out;
			}
		}
		if (o.nic_pair) {
			rc = hv_nic_pair_create(vb, o.nic_eal, o.nic_mtu, &nics, msg, sizeof(msg));
			if (rc) {
				fprintf(stderr, "hv: %s\n", msg);
				goto out;
			}
		}
	} else if (o.testdev || o.nic_pair) {
		fprintf(stderr, "hv: VMBus devices need the enlightenments (drop --no-hyperv)\n");
		goto out;
	}

	wd.p = p;
	wd.timeout_s = o.timeout_s;
	if (pthread_create(&wd_thread, NULL, watchdog_thread, &wd)) {
		fprintf(stderr, "hv: cannot start the watchdog thread\n");
		goto out;
	}
	rc = hv_partition_run(p, &res);
	wd.done = true;
	pthread_join(wd_thread, NULL);

	switch (res.reason) {
	case HV_EXIT_POWEROFF:
		status = res.code;
		break;
	case HV_EXIT_RESET:
		status = EXIT_RESET;
		break;
	case HV_EXIT_TRIPLE_FAULT:
		status = EXIT_TRIPLE_FAULT;
		break;
	case HV_EXIT_INTERNAL:
		status = EXIT_KVM_CANNOT;
		break;
	default:
		status = wd.timed_out ? EXIT_TIMEOUT : EXIT_HOST_ERROR;
	}
	if (wd.timed_out)
		fprintf(stderr, "hv: %s: stopped after the %u s timeout\n", o.name, o.timeout_s);
	else if (wd.signo)
		fprintf(stderr, "hv: %s: stopped by signal %d\n", o.name, wd.signo);
	else if (status != 0)
		fprintf(stderr, "hv: %s: %s (vp %u, rip 0x%llx)\n", o.name, res.detail, res.vp,
			(unsigned long long)res.rip);
	if (o.stats) {
		print_stats(p, vb);
		print_memory(p);
	}
out:
	/* The partition is stopped: devices can go before it does. The NICs'
	 * control thread stops first; they leave with the VMBus. */
	hv_nic_pair_stop(nics);
	hv_vmbus_destroy(vb);
	hv_nic_pair_destroy(nics);
	hv_serial_destroy(serial);
	hv_partition_destroy(p);
	if (serial_fd >= 0)
		close(serial_fd);
	return status;
}
