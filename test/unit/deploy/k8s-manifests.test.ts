import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { knownSettingNames, loadConfig } from '../../../src/config/index.js';

// deploy/k8s rendered the way ops do (`kubectl kustomize`), every object validated against the
// Kubernetes OpenAPI schemas (kubernetes-models), then held to what docs/operations.md promises.
const root = join(import.meta.dirname, '..', '..', '..');
const kubectl = ['kubectl', '/usr/bin/kubectl'].find((bin) => spawnSync(bin, ['version', '--client'], { stdio: 'ignore' }).status === 0);
const targets = ['base', 'overlays/staging', 'overlays/production'];

type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; spec?: Record<string, unknown>; data?: Record<string, string> };
type EnvVar = { name: string; value?: string; valueFrom?: unknown };
type Container = { name: string; image: string; command?: string[]; env?: EnvVar[]; envFrom?: Array<{ configMapRef?: { name: string } }>; resources?: { requests?: Record<string, string>; limits?: Record<string, string> }; securityContext?: Record<string, unknown>; readinessProbe?: { httpGet?: { path: string } }; livenessProbe?: { httpGet?: { path: string } }; volumeMounts?: Array<{ name: string; mountPath: string }> };
type PodSpec = { securityContext?: Record<string, unknown>; containers: Container[]; volumes?: Array<{ name: string; secret?: { secretName: string } }> };

function render(target: string): K8sObject[] {
  const result = spawnSync(kubectl!, ['kustomize', join(root, 'deploy', 'k8s', target)], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`kubectl kustomize ${target} failed: ${result.stderr}`);
  return parseAllDocuments(result.stdout).map((doc) => doc.toJS() as K8sObject).filter(Boolean);
}

async function validate(object: K8sObject): Promise<void> {
  // kubernetes-models has one module per group/version; the core group is "v1".
  const models = (await import(`kubernetes-models/${object.apiVersion}`)) as Record<string, new (data: unknown) => { validate(): void }>;
  const Model = models[object.kind];
  if (!Model) throw new Error(`no schema for ${object.apiVersion} ${object.kind}`);
  new Model(object).validate();
}

const byKind = (objects: K8sObject[], kind: string) => objects.filter((o) => o.kind === kind);
const podSpec = (object: K8sObject) => (object.spec as { template: { spec: PodSpec } }).template.spec;

if (!kubectl) {
  t.test('deploy/k8s renders and validates', { skip: 'kubectl is not installed (Debian package kubernetes-client; .ci/run installs it)' }, () => undefined);
} else {
  for (const target of targets) {
    t.test(`${target}: renders, and every object is valid against the Kubernetes schemas`, async (t) => {
      const objects = render(target);
      t.same(new Set(objects.map((o) => o.kind)), new Set(['ServiceAccount', 'ConfigMap', 'Service', 'Deployment', 'Job', 'PodDisruptionBudget', 'HorizontalPodAutoscaler', 'NetworkPolicy']));
      for (const object of objects) {
        await t.resolves(validate(object), `${object.kind} ${object.metadata.name}`);
      }
      t.equal(byKind(objects, 'Secret').length, 0, 'no Secret in the manifests: secrets are referenced, never stored here');
    });
  }

  t.test('a schema violation is caught (the check can fail)', async (t) => {
    const deployment = byKind(render('base'), 'Deployment')[0]!;
    const broken = structuredClone(deployment) as K8sObject & { spec: { replicas: unknown } };
    broken.spec.replicas = 'three';
    await t.rejects(validate(broken));
  });

  t.test('production: probes, resources, non-root read-only pods, secrets as files, scaling and disruption rules', async (t) => {
    const objects = render('overlays/production');
    const deployment = byKind(objects, 'Deployment')[0]!;
    const pod = podSpec(deployment);
    const broker = pod.containers[0]!;
    t.equal(broker.readinessProbe?.httpGet?.path, '/readyz', 'readiness on /readyz');
    t.equal(broker.livenessProbe?.httpGet?.path, '/healthz', 'liveness on /healthz');
    t.equal(broker.image, 'registry.example.org/esia-broker:0.1.0');
    t.equal((deployment.spec as { replicas: number }).replicas, 3);
    for (const [name, spec] of [['broker', pod], ['migrate', podSpec(byKind(objects, 'Job')[0]!)]] as const) {
      t.equal(spec.securityContext?.['runAsNonRoot'], true, `${name}: runs as non-root`);
      for (const container of spec.containers) {
        t.equal(container.securityContext?.['readOnlyRootFilesystem'], true, `${name}: read-only root filesystem`);
        t.equal(container.securityContext?.['allowPrivilegeEscalation'], false);
        t.ok(container.resources?.requests?.['cpu'] && container.resources.requests['memory'] && container.resources.limits?.['memory'], `${name}: resources`);
        t.notOk(container.env?.some((e) => /SECRET|KEY$|TOKEN|PASSWORD|_URL$/.test(e.name) && e.value !== undefined && !e.name.endsWith('_FILE') && e.name !== 'ESIA_URL' && e.name !== 'PUBLIC_URL'), `${name}: no secret value inline`);
      }
      t.same(spec.volumes?.filter((v) => v.secret).map((v) => v.secret!.secretName), ['esia-broker-secrets'], `${name}: the Secret mounted by reference`);
    }
    const migrate = byKind(objects, 'Job')[0]!;
    t.same(podSpec(migrate).containers[0]!.command, ['node', 'dist/src/cli/migrate.js'], 'migrations as a Job');
    const hpa = byKind(objects, 'HorizontalPodAutoscaler')[0]!.spec as { minReplicas: number; maxReplicas: number; scaleTargetRef: { name: string } };
    t.same([hpa.minReplicas, hpa.maxReplicas, hpa.scaleTargetRef.name], [3, 10, deployment.metadata.name]);
    const pdb = byKind(objects, 'PodDisruptionBudget')[0]!.spec as { selector: { matchLabels: Record<string, string> } };
    const podLabels = (deployment.spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels;
    t.ok(Object.entries(pdb.selector.matchLabels).every(([k, v]) => podLabels[k] === v), 'the PodDisruptionBudget selects the broker pods');
    const service = byKind(objects, 'Service')[0]!.spec as { selector: Record<string, string> };
    t.ok(Object.entries(service.selector).every(([k, v]) => podLabels[k] === v), 'and so does the Service');
    t.notOk(Object.entries(service.selector).every(([k, v]) => (podSpec(migrate) as unknown as { labels?: Record<string, string> }).labels?.[k] === v), 'but not the migration pod');
    const policy = byKind(objects, 'NetworkPolicy')[0]!.spec as { policyTypes: string[] };
    t.same(policy.policyTypes, ['Ingress', 'Egress']);
    t.ok(objects.every((o) => o.kind === 'ConfigMap' || o.metadata.namespace === 'esia-broker'), 'everything in the overlay namespace');
  });

  t.test('the settings the manifests give load as a production config, in the broker and in the migration Job', async (t) => {
    const known = new Set(knownSettingNames());
    const objects = render('overlays/production');
    const settings = byKind(objects, 'ConfigMap')[0]!.data!;
    for (const workload of [byKind(objects, 'Deployment')[0]!, byKind(objects, 'Job')[0]!]) {
      const container = podSpec(workload).containers[0]!;
      const names = [...Object.keys(settings), ...(container.env ?? []).map((e) => e.name)];
      for (const name of names) t.ok(known.has(name) || known.has(name.replace(/_FILE$/, '')), `${workload.kind}: ${name} is a setting the broker knows`);
      // The secret files where the pod would find them, under a scratch directory.
      const dir = mkdtempSync(join(tmpdir(), 'k8s-secrets-'));
      t.teardown(() => rmSync(dir, { recursive: true, force: true }));
      const env: Record<string, string> = { ...settings };
      for (const { name, value } of container.env ?? []) {
        if (!value?.startsWith('/run/secrets/esia-broker/')) continue;
        const file = join(dir, value.slice('/run/secrets/esia-broker/'.length));
        const content = name.startsWith('DATABASE_URL') ? 'postgres://broker@db:5432/broker' : name.startsWith('REDIS_URL') ? 'redis://redis:6379' : 'a-production-secret-0123456789abcdef';
        writeFileSync(file, content);
        env[name] = file;
      }
      const config = loadConfig(env);
      t.equal(config.isProduction, true, `${workload.kind}: a production config loads`);
      t.equal(config.storage.migrateOnStart, false, 'replicas leave migrations to the Job');
      t.equal(config.storage.databaseUrl, 'postgres://broker@db:5432/broker');
      t.equal(config.server.trustProxy, true);
    }
  });
}
