/**
 * Pod Security Standards at the level the tier names, read-only roots where the tier says so, no debug access
 * where the tier forbids it, and TLS for every Ingress host. The pod checks follow the PSS definitions
 * (kubernetes.io/docs/concepts/security/pod-security-standards), so a namespace that enforces a level never
 * rejects what we render.
 */
import type { PodSecurityLevel } from "@gitops/model";
import { asArr, asObj, containersOf, isObj, kindOf, nameOf, namespaceOf, podTemplate, str, type Context, type ContainerRef, type ObjPath, type PodTemplate, type PolicyObject, type Unit } from "../context.ts";
import type { Finding } from "../finding.ts";
import { rule } from "../rule.ts";

const levels = ["privileged", "baseline", "restricted"] as const;
const rank = (level: string) => levels.indexOf(level as (typeof levels)[number]);
const ENFORCE = "pod-security.kubernetes.io/enforce";

const baselineCapabilities = new Set(["AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"]);
const safeSysctls = new Set([
  "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start", "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range",
  "net.ipv4.ip_local_reserved_ports", "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes",
]);
const restrictedVolumes = new Set(["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"]);

interface Violation { path: ObjPath; text: string }

/** Baseline: no privileged containers, host namespaces, host paths or ports, extra capabilities, unconfined profiles. */
export function baselineViolations(t: PodTemplate): Violation[] {
  const v: Violation[] = [];
  const spec = t.spec;
  for (const host of ["hostNetwork", "hostPID", "hostIPC"] as const)
    if (spec[host] === true) v.push({ path: [...t.path, "spec", host], text: `shares the node's ${host.slice(4)} namespace` });
  asArr(spec.volumes).forEach((vol, i) => {
    if (isObj(vol) && vol.hostPath !== undefined) v.push({ path: [...t.path, "spec", "volumes", i, "hostPath"], text: `mounts the node's filesystem (hostPath volume ${str(vol.name) ?? i})` });
  });
  asArr(asObj(spec.securityContext).sysctls).forEach((s, i) => {
    const name = str(asObj(s).name) ?? "";
    if (!safeSysctls.has(name)) v.push({ path: [...t.path, "spec", "securityContext", "sysctls", i], text: `sets the unsafe sysctl ${name}` });
  });
  const podSeccomp = asObj(asObj(spec.securityContext).seccompProfile).type;
  if (podSeccomp === "Unconfined") v.push({ path: [...t.path, "spec", "securityContext", "seccompProfile"], text: "runs with an Unconfined seccomp profile" });
  for (const c of containersOf(t)) {
    const sc = asObj(c.container.securityContext);
    const name = str(c.container.name) ?? "?";
    if (sc.privileged === true) v.push({ path: [...c.path, "securityContext", "privileged"], text: `container ${name} is privileged` });
    for (const cap of asArr(asObj(sc.capabilities).add))
      if (!baselineCapabilities.has(String(cap))) v.push({ path: [...c.path, "securityContext", "capabilities", "add"], text: `container ${name} adds capability ${String(cap)}` });
    if (sc.procMount !== undefined && sc.procMount !== "Default") v.push({ path: [...c.path, "securityContext", "procMount"], text: `container ${name} unmasks /proc` });
    if (asObj(sc.seccompProfile).type === "Unconfined") v.push({ path: [...c.path, "securityContext", "seccompProfile"], text: `container ${name} runs with an Unconfined seccomp profile` });
    if (asObj(sc.appArmorProfile).type === "Unconfined") v.push({ path: [...c.path, "securityContext", "appArmorProfile"], text: `container ${name} runs without AppArmor` });
    asArr(c.container.ports).forEach((p, i) => {
      const hostPort = asObj(p).hostPort;
      if (typeof hostPort === "number" && hostPort !== 0) v.push({ path: [...c.path, "ports", i, "hostPort"], text: `container ${name} binds host port ${hostPort}` });
    });
  }
  return v;
}

/** Restricted: baseline plus non-root, no privilege escalation, all capabilities dropped, a seccomp profile, safe volume types. */
export function restrictedViolations(t: PodTemplate): Violation[] {
  const v: Violation[] = [];
  const podSc = asObj(t.spec.securityContext);
  asArr(t.spec.volumes).forEach((vol, i) => {
    const type = Object.keys(asObj(vol)).find((k) => k !== "name");
    if (type && !restrictedVolumes.has(type)) v.push({ path: [...t.path, "spec", "volumes", i], text: `uses a ${type} volume, which restricted does not allow` });
  });
  if (podSc.runAsUser === 0) v.push({ path: [...t.path, "spec", "securityContext", "runAsUser"], text: "runs as root (runAsUser 0)" });
  const podSeccomp = asObj(podSc.seccompProfile).type;
  const seccompOk = (type: unknown) => type === "RuntimeDefault" || type === "Localhost";
  for (const c of containersOf(t)) {
    const sc = asObj(c.container.securityContext);
    const name = str(c.container.name) ?? "?";
    const at = (...k: string[]) => [...c.path, "securityContext", ...k];
    if (sc.allowPrivilegeEscalation !== false) v.push({ path: at("allowPrivilegeEscalation"), text: `container ${name} does not set allowPrivilegeEscalation: false` });
    const nonRoot = sc.runAsNonRoot ?? podSc.runAsNonRoot;
    if (nonRoot !== true) v.push({ path: at("runAsNonRoot"), text: `container ${name} may run as root (runAsNonRoot is not true)` });
    if (sc.runAsUser === 0) v.push({ path: at("runAsUser"), text: `container ${name} runs as root (runAsUser 0)` });
    const caps = asObj(sc.capabilities);
    if (!asArr(caps.drop).includes("ALL")) v.push({ path: at("capabilities", "drop"), text: `container ${name} does not drop ALL capabilities` });
    for (const cap of asArr(caps.add)) if (cap !== "NET_BIND_SERVICE") v.push({ path: at("capabilities", "add"), text: `container ${name} adds capability ${String(cap)}` });
    const seccomp = asObj(sc.seccompProfile).type ?? podSeccomp;
    if (!seccompOk(seccomp)) v.push({ path: at("seccompProfile"), text: `container ${name} has no RuntimeDefault or Localhost seccomp profile` });
  }
  return v;
}

function templatesOf(u: Unit) {
  return u.objects.flatMap((o) => {
    const t = podTemplate(o);
    return t ? [t] : [];
  });
}

export const podSecurityRule = rule("security/pod-security", "Every namespace enforces at least the tier's Pod Security Standard.", (ctx: Context) => {
  const out: Finding[] = [];
  for (const u of ctx.units) {
    const want: PodSecurityLevel = u.tier.podSecurity;
    for (const o of u.objects) {
      if (kindOf(o) !== "Namespace") continue;
      const have = str(asObj(asObj(o.object.metadata).labels)[ENFORCE]);
      if (have === undefined || rank(have) < rank(want))
        out.push(ctx.finding("security/pod-security", ctx.source(u, "podSecurity"), `Namespace ${nameOf(o)} enforces ${have ?? "no"} Pod Security level; the ${u.env.tierName} tier requires ${want} — label it ${ENFORCE}: ${want} (a base fix)`, { unit: u, object: o, path: ["metadata", "labels", ENFORCE] }));
    }
  }
  return out;
});

export const baselineRule = rule("security/baseline", "Every pod meets the baseline Pod Security Standard: nothing privileged, no host namespaces, paths or ports.", (ctx: Context) => {
  const out: Finding[] = [];
  for (const u of ctx.units) {
    if (rank(u.tier.podSecurity) < rank("baseline")) continue;
    for (const t of templatesOf(u))
      for (const v of baselineViolations(t))
        out.push(ctx.finding("security/baseline", ctx.source(u, "podSecurity"), `${kindOf(t.object)} ${nameOf(t.object)} ${v.text}, which the baseline Pod Security Standard forbids — remove it`, { unit: u, object: t.object, path: v.path }));
  }
  return out;
});

export const restrictedRule = rule("security/restricted", "Where the tier enforces restricted, every pod meets it: non-root, no privilege escalation, ALL capabilities dropped, RuntimeDefault seccomp.", (ctx: Context) => {
  const out: Finding[] = [];
  for (const u of ctx.units) {
    if (rank(u.tier.podSecurity) < rank("restricted")) continue;
    for (const t of templatesOf(u))
      for (const v of restrictedViolations(t))
        out.push(ctx.finding("security/restricted", ctx.source(u, "podSecurity"), `${kindOf(t.object)} ${nameOf(t.object)}: ${v.text}; the ${u.env.tierName} tier enforces restricted Pod Security, so the pod would be rejected — harden the pod template (a base fix)`, { unit: u, object: t.object, path: v.path }));
  }
  return out;
});

export const readOnlyRootRule = rule("security/read-only-root", "Where the tier says so, every container's root filesystem is read-only.", (ctx: Context) => {
  const out: Finding[] = [];
  for (const u of ctx.units) {
    if (!u.tier.readOnlyRootFilesystem) continue;
    for (const t of templatesOf(u))
      for (const c of containersOf(t))
        if (asObj(c.container.securityContext).readOnlyRootFilesystem !== true)
          out.push(ctx.finding("security/read-only-root", ctx.tier(u), `container ${str(c.container.name) ?? "?"} of ${kindOf(t.object)} ${nameOf(t.object)} has a writable root filesystem; the ${u.env.tierName} tier mounts it read-only — set securityContext.readOnlyRootFilesystem: true and write only to the /tmp emptyDir`, { unit: u, object: t.object, path: [...c.path, "securityContext", "readOnlyRootFilesystem"] }));
  }
  return out;
});

const debugSubresources = new Set(["pods/exec", "pods/attach", "pods/portforward", "pods/ephemeralcontainers", "*"]);

function debugContainers(c: ContainerRef): Violation[] {
  const v: Violation[] = [];
  if (c.container.stdin === true || c.container.tty === true) v.push({ path: c.path, text: `container ${str(c.container.name) ?? "?"} keeps stdin or a TTY open for attaching` });
  return v;
}

export const noDebugRule = rule("security/no-debug", "Where the tier forbids debugging: no exec/attach/port-forward/ephemeral-container grants, no debug containers, no debug logging.", (ctx: Context) => {
  const out: Finding[] = [];
  for (const u of ctx.units) {
    if (u.tier.debug) continue;
    const forbids = `the ${u.env.tierName} tier allows no debug access`;
    if (u.d.logLevel === "debug")
      out.push(ctx.finding("security/no-debug", ctx.source(u, "logLevel"), `logs at debug level; ${forbids}, and debug logs leak data — use info or warn`, { unit: u }));
    for (const o of u.objects) {
      if (kindOf(o) === "Role" || kindOf(o) === "ClusterRole") {
        asArr(o.object.rules).forEach((r, i) => {
          const resources = asArr(asObj(r).resources).map(String);
          const granted = resources.filter((res) => debugSubresources.has(res));
          if (granted.length > 0)
            out.push(ctx.finding("security/no-debug", ctx.tier(u), `${kindOf(o)} ${nameOf(o)} grants ${granted.join(", ")}; ${forbids} — render debug access only where the tier allows it (a base fix)`, { unit: u, object: o, path: ["rules", i] }));
        });
      }
      const t = podTemplate(o);
      if (!t) continue;
      if (asArr(t.spec.ephemeralContainers).length > 0)
        out.push(ctx.finding("security/no-debug", ctx.tier(u), `${kindOf(o)} ${nameOf(o)} carries ephemeral (debug) containers; ${forbids} — remove them`, { unit: u, object: o, path: [...t.path, "spec", "ephemeralContainers"] }));
      if (t.spec.shareProcessNamespace === true)
        out.push(ctx.finding("security/no-debug", ctx.tier(u), `${kindOf(o)} ${nameOf(o)} shares its process namespace; ${forbids} — remove shareProcessNamespace`, { unit: u, object: o, path: [...t.path, "spec", "shareProcessNamespace"] }));
      for (const c of containersOf(t))
        for (const v of debugContainers(c)) out.push(ctx.finding("security/no-debug", ctx.tier(u), `${v.text}; ${forbids} — remove stdin/tty`, { unit: u, object: o, path: v.path }));
    }
  }
  return out;
});

const ISSUER = "cert-manager.io/cluster-issuer";

/** Does a TLS host entry cover a host: exactly, or as a wildcard for one more label (`*.acme.dev` covers `api.acme.dev`)? */
export function tlsCovers(pattern: string, host: string): boolean {
  const p = pattern.toLowerCase();
  const h = host.toLowerCase();
  if (!p.startsWith("*.")) return p === h;
  return h.endsWith(p.slice(1)) && !h.slice(0, h.length - p.length + 1).includes(".") && h.length > p.length - 1;
}

/**
 * An Ingress host without TLS serves plain HTTP, or the controller's default certificate, which no client trusts.
 * Every host needs a tls entry with a secret, which cert-manager fills from the account's ClusterIssuer (the one
 * the account's platform renders); an issuer of another name, or none, leaves the secret empty.
 */
export const ingressTlsRule = rule("security/ingress-tls", "Every Ingress host is served over TLS: a tls entry with a secret covers it, and the account's cert-manager ClusterIssuer issues it.", (ctx: Context) => {
  const out: Finding[] = [];
  for (const o of ctx.objects) {
    if (kindOf(o) !== "Ingress") continue;
    const u = ctx.unitOf(o);
    const account = ctx.accountOf(o);
    // A service's TLS and host come from its base and its public host; the platform's from the platform.
    const at = (path: ObjPath) => (u ? (path.includes("host") ? ctx.locate(u, o, path) : { file: u.service.file, path: "public" }) : ctx.sourceOf(o, path));
    const report = (path: ObjPath, text: string, where = at(path)) => out.push(ctx.finding("security/ingress-tls", where, `Ingress ${nameOf(o)} ${text}`, { unit: u, object: o, path }));
    const spec = asObj(o.object.spec);
    const tls = asArr(spec.tls).map(asObj);
    if (isObj(spec.defaultBackend)) report(["spec", "defaultBackend"], "has a defaultBackend, which answers for any host name, so no certificate can cover it — route by host in spec.rules instead");
    let hosts = 0;
    asArr(spec.rules).forEach((r, i) => {
      const host = str(asObj(r).host);
      if (!host) {
        report(["spec", "rules", i], "has a rule without a host, which answers for any host name, so no certificate can cover it — name the host");
        return;
      }
      hosts++;
      const j = tls.findIndex((t) => asArr(t.hosts).some((h) => typeof h === "string" && tlsCovers(h, host)));
      if (j < 0) report(["spec", "rules", i, "host"], `serves ${host} without TLS: no spec.tls entry lists it — add { hosts: ["${host}"], secretName: "<name>-tls" } to spec.tls (a base fix)`, u ? { file: u.service.file, path: "public" } : undefined);
      else if (!str(tls[j]!.secretName)) report(["spec", "tls", j, "secretName"], `lists ${host} under spec.tls[${j}] without a secretName, so cert-manager issues no certificate and the controller serves its default one — name the secret`);
    });
    if (hosts === 0) continue;
    const issuer = issuerOf(o);
    const want = account?.ingress.clusterIssuer;
    const path: ObjPath = ["metadata", "annotations", ISSUER];
    const where = account ? { file: ctx.estate.file, path: `accounts.${account.name}.ingress.clusterIssuer` } : at(path);
    if (!issuer) report(path, `has no ${ISSUER} annotation, so no certificate is issued for its hosts — annotate it with ${want ? `the account's issuer ${want}` : "the account's ClusterIssuer"} (a base fix)`, u ? { file: u.service.file, path: "public" } : where);
    else if (want && issuer !== want) report(path, `asks cluster issuer ${issuer} for its certificate, not account ${account!.name}'s ${want}, which is the one its platform renders — use ${want}`, where);
  }
  return out;
});

const issuerOf = (o: PolicyObject) => str(asObj(asObj(o.object.metadata).annotations)[ISSUER]);

export const securityRules = [podSecurityRule, baselineRule, restrictedRule, readOnlyRootRule, noDebugRule, ingressTlsRule];
