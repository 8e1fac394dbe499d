/** DTOs for the validation tests: flat, nested, arrays of nested, inherited, and undecorated. */
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsEmail,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  Min,
  ValidateNested,
} from 'class-validator';

export class Address {
  @IsString()
  @IsNotEmpty()
  city!: string;

  @IsOptional()
  @IsString()
  zip?: string;
}

export class Item {
  @IsString()
  sku!: string;

  @IsInt()
  @Min(1)
  quantity!: number;
}

export class CreateOrder {
  @IsEmail()
  email!: string;

  @ValidateNested()
  @Type(() => Address)
  address!: Address;

  @ValidateNested({ each: true })
  @ArrayMaxSize(10)
  @Type(() => Item)
  items!: Item[];

  total(): number {
    return this.items.reduce((sum, item) => sum + item.quantity, 0);
  }
}

export class Greeting {
  @IsString()
  @IsNotEmpty()
  name!: string;
}

export class FormalGreeting extends Greeting {
  @IsString()
  title!: string;
}

export class Undecorated {
  name?: string;
}
