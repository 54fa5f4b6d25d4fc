/** Public surface of the `diffusion` service (the module itself: ./diffusion.module). */
export { DiffusionModule } from './diffusion.module';
export { DIFFUSION_JOB_KIND, type GenerationJobResult, type GeneratedImage } from './diffusion-generation.job';
