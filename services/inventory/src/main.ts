import 'reflect-metadata';
import { runService } from '@boxoffice/http/run-service';
import { InventoryConfig } from './inventory.config';
import { InventoryModule } from './inventory.module';

runService('inventory', InventoryModule, () => new InventoryConfig(process.env));
