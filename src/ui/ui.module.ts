import { Module } from '@nestjs/common';
import { loadUiAssets } from './ui-assets.js';
import { UI_ASSETS, UiController } from './ui.controller.js';

/** The dashboard at /ui: the files `npm run build` bundles from src/ui/client. */
@Module({
  controllers: [UiController],
  providers: [{ provide: UI_ASSETS, useFactory: () => loadUiAssets() }],
})
export class UiModule {}
