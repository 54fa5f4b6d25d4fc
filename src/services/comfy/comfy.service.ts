import { Inject, Injectable } from '@nestjs/common';
import { type Caller, hasRole } from '../../platform/context';
import type { FieldError } from '../../platform/errors';
import { JobsService } from '../../platform/jobs';
import { IMAGE_STORE, type ImageStore } from '../images';
import { ComfyGateway } from './comfy-gateway.service';
import { COMFY_JOB_KIND, type ComfyJobPayload } from './comfy-job.types';
import {
  ComfyInputImageNotFoundError,
  ComfyInvalidParamsError,
  ComfyInvalidTemplateError,
  ComfyInvalidWorkflowError,
  ComfyTemplateForbiddenError,
} from './comfy.errors';
import type { ApiWorkflow, ObjectInfo, QueueState } from './comfy.types';
import {
  applyParams,
  type ComfyTemplate,
  type ImageInput,
  type StoredTemplate,
  templateProblems,
} from './templates/comfy-template';
import { GLOBAL_SCOPE, TemplateStore } from './templates/template-store';
import { isUiWorkflow, uiToApi } from './workflow/ui-workflow';
import { enumValues, validateWorkflow, type WorkflowIssue } from './workflow/workflow-validator';

/** A job request: a template with parameters, or a whole workflow (API or editor format). */
export interface ComfyJobRequest {
  template?: string;
  params?: Record<string, unknown>;
  workflow?: Record<string, unknown>;
}

/** Models and samplers a server offers (from `object_info`). */
export interface ComfyModels {
  instance: string;
  checkpoints: string[];
  loras: string[];
  samplers: string[];
  schedulers: string[];
  nodeClasses: number;
}

const offered = (info: ObjectInfo, cls: string, input: string): string[] => {
  const spec = info[cls]?.input.required?.[input] ?? info[cls]?.input.optional?.[input];
  return ((spec && enumValues(spec)) ?? []).map(String);
};

/**
 * What the comfy routes do: turn a template plus parameters, or a workflow, into a validated
 * API-format graph and submit it as a `comfy.workflow` job; save templates; read models and queues.
 */
@Injectable()
export class ComfyService {
  constructor(
    private readonly gateway: ComfyGateway,
    private readonly templates: TemplateStore,
    private readonly jobs: JobsService,
    @Inject(IMAGE_STORE) private readonly images: ImageStore,
  ) {}

  async submit(request: ComfyJobRequest, caller: Caller, idempotencyKey?: string) {
    const payload = await this.prepare(request, caller.tenant);
    return this.jobs.submit(COMFY_JOB_KIND, payload, caller, { idempotencyKey });
  }

  /** Resolves and validates a request into the job's payload (400s name the node, class and input). */
  async prepare(request: ComfyJobRequest, tenant: string): Promise<ComfyJobPayload> {
    const hasTemplate = request.template !== undefined;
    if (hasTemplate === (request.workflow !== undefined)) {
      throw new ComfyInvalidParamsError('Send either template (with params) or workflow', {
        fieldErrors: [
          { field: hasTemplate ? 'workflow' : 'template', message: 'give exactly one of template and workflow' },
        ],
      });
    }
    const { info } = await this.gateway.objectInfo();
    if (request.template !== undefined) {
      const template = await this.templates.resolve(tenant, request.template);
      const { workflow, images, problems } = applyParams(template, request.params ?? {});
      if (problems.length > 0) {
        throw new ComfyInvalidParamsError(`Parameters do not fit template ${template.name}`, { fieldErrors: problems });
      }
      await this.checkImages(tenant, images);
      this.check(workflow, info, images);
      return {
        workflow,
        images,
        template: { name: template.name, version: template.version, scope: template.scope },
        idempotent: template.idempotent === true,
      };
    }
    if (request.params !== undefined) {
      throw new ComfyInvalidParamsError('params go with a template', {
        fieldErrors: [{ field: 'params', message: 'only with template' }],
      });
    }
    const workflow = this.toApi(request.workflow as Record<string, unknown>, info);
    this.check(workflow, info, []);
    return { workflow, images: [], idempotent: false };
  }

  /** Validates and stores a template version (global ones need the admin role). */
  async saveTemplate(template: ComfyTemplate, scope: 'tenant' | 'global', caller: Caller): Promise<StoredTemplate> {
    if (scope === 'global' && !hasRole(caller, 'admin')) {
      throw new ComfyTemplateForbiddenError('Saving a global template needs the admin role');
    }
    if (this.templates.isBuiltIn(template.name)) {
      throw new ComfyTemplateForbiddenError(`${template.name} is a built-in template; choose another name`);
    }
    const { info } = await this.gateway.objectInfo();
    const workflow = this.toApi(template.workflow, info);
    const normalised: ComfyTemplate = { ...template, workflow };
    const problems: FieldError[] = templateProblems(normalised);
    if (problems.length > 0)
      throw new ComfyInvalidTemplateError(`Template ${template.name} is not usable`, { fieldErrors: problems });
    // The workflow with every parameter at its default (or a stand-in) must validate.
    const images = Object.values(normalised.params)
      .filter((p) => p.type === 'image')
      .map((p) => ({ imageId: '', targets: p.targets }));
    const filled = structuredClone(workflow);
    for (const p of Object.values(normalised.params)) {
      if (p.default === undefined) continue;
      for (const t of p.targets) filled[t.node].inputs = { ...filled[t.node].inputs, [t.input]: p.default };
    }
    const issues = this.filterImageTargets(validateWorkflow(filled, info), images).filter(
      (i) => !(i.type === 'required_input_missing' && this.targetedWithoutDefault(normalised, i)),
    );
    if (issues.length > 0) throw new ComfyInvalidWorkflowError(`Template ${template.name} does not validate`, issues);
    return this.templates.save(scope === 'global' ? GLOBAL_SCOPE : caller.tenant, normalised, caller.id);
  }

  listTemplates(tenant: string): Promise<StoredTemplate[]> {
    return this.templates.list(tenant);
  }

  getTemplate(tenant: string, ref: string): Promise<StoredTemplate> {
    return this.templates.resolve(tenant, ref);
  }

  async models(): Promise<ComfyModels> {
    const { instance, info } = await this.gateway.objectInfo();
    return {
      instance,
      checkpoints: offered(info, 'CheckpointLoaderSimple', 'ckpt_name'),
      loras: offered(info, 'LoraLoader', 'lora_name'),
      samplers: offered(info, 'KSampler', 'sampler_name'),
      schedulers: offered(info, 'KSampler', 'scheduler'),
      nodeClasses: Object.keys(info).length,
    };
  }

  /** Every connected server's queue, as prompt ids (the graphs stay on the server). */
  async queues(): Promise<{ instance: string; running: string[]; pending: string[] }[]> {
    const client = this.gateway.client();
    const ids = (q: unknown[][]) => q.map((item) => String(item[1]));
    return Promise.all(
      this.gateway.connectedInstances().map(async (instance) => {
        const q: QueueState = await client.queue({ instance });
        return { instance, running: ids(q.queue_running ?? []), pending: ids(q.queue_pending ?? []) };
      }),
    );
  }

  private toApi(raw: Record<string, unknown>, info: ObjectInfo): ApiWorkflow {
    if (!isUiWorkflow(raw)) return raw as unknown as ApiWorkflow;
    const { workflow, issues } = uiToApi(raw, info);
    if (issues.length > 0) throw new ComfyInvalidWorkflowError('The editor workflow cannot be converted', issues);
    return workflow;
  }

  private check(workflow: ApiWorkflow, info: ObjectInfo, images: ImageInput[]): void {
    const issues = this.filterImageTargets(validateWorkflow(workflow, info), images);
    if (issues.length > 0) {
      throw new ComfyInvalidWorkflowError(`The workflow does not validate (${issues.length} problem(s))`, issues);
    }
  }

  /** Image inputs get their name only once uploaded: the server's list cannot hold it yet. */
  private filterImageTargets(issues: WorkflowIssue[], images: ImageInput[]): WorkflowIssue[] {
    const targets = new Set(images.flatMap((i) => i.targets.map((t) => `${t.node}/${t.input}`)));
    return issues.filter((i) => !(i.input !== undefined && targets.has(`${i.node}/${i.input}`)));
  }

  private targetedWithoutDefault(t: ComfyTemplate, issue: WorkflowIssue): boolean {
    return Object.values(t.params).some(
      (p) => p.default === undefined && p.targets.some((x) => x.node === issue.node && x.input === issue.input),
    );
  }

  private async checkImages(tenant: string, images: ImageInput[]): Promise<void> {
    for (const image of images) {
      if ((await this.images.find(tenant, image.imageId)) === undefined) {
        throw new ComfyInputImageNotFoundError(`No image ${image.imageId} in your image store`, {
          fieldErrors: [{ field: 'params', message: `image ${image.imageId} not found` }],
        });
      }
    }
  }
}
